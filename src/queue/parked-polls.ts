// Long-polls parked in a region DO, one per miner (a miner's new poll answers its old one with
// nothing), offered work in the order they parked. A parked poll ends with the jobs a change leased
// to it, a refusal, or nothing when its wait ends or the miner stops taking work.
import type { Logger } from "../lib/log";
import type { AssignedJob } from "../model/job";
import { type Outcome, success } from "./outcome";
import type { MinerCall } from "./region-queue";

export interface ParkedPoll {
  call: MinerCall;
  maxJobs: number;
}

type Answer = Outcome<AssignedJob[]>;

interface Waiting extends ParkedPoll {
  settle: (outcome: Answer) => void;
}

export class ParkedPolls {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly log: Logger,
    private readonly shard: string | undefined,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Oldest first. */
  polls(): ParkedPoll[] {
    return [...this.waiting.values()];
  }

  minerIds(): string[] {
    return [...this.waiting.keys()];
  }

  /** Parks the miner's poll until a change serves it or `waitMs` pass (then it gets nothing). */
  park(call: MinerCall, maxJobs: number, waitMs: number): Promise<Answer> {
    this.release(call.minerId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => poll.settle(success([])), waitMs);
      const poll: Waiting = {
        call,
        maxJobs,
        settle: (outcome) => {
          clearTimeout(timer);
          if (this.waiting.get(call.minerId) === poll) this.waiting.delete(call.minerId);
          resolve(outcome);
        },
      };
      this.waiting.set(call.minerId, poll);
    });
  }

  /** Answers the miner's parked poll, if any, with nothing. */
  release(minerId: string): void {
    this.waiting.get(minerId)?.settle(success([]));
  }

  /**
   * Offers work to each parked poll in turn while `offerable()`: a poll that gets jobs or a refusal
   * is answered. A lease that throws has rolled back, and its poll is answered with nothing, as a wait
   * that ends is: the change that made work offerable has committed, and its own answer must not turn
   * into an error.
   */
  serve(offerable: () => boolean, lease: (poll: ParkedPoll) => Answer): void {
    for (const poll of this.waiting.values()) {
      if (!offerable()) return;
      try {
        const leased = lease(poll);
        if (!leased.ok || leased.value.length > 0) poll.settle(leased);
      } catch (err) {
        this.log.warn("parked poll not served", { shard: this.shard, miner_id: poll.call.minerId, error: String(err) });
        poll.settle(success([]));
      }
    }
  }
}
