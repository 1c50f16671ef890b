// How a shard shares work with the rest of the topology. A miner whose shard has nothing that fits
// takes jobs from its sibling shards at once (stealing), and from other regions' shards once those
// jobs have waited SPILL_AFTER (spill). Jobs move by handoff (see handoffs.ts): this module asks the
// givers, has the jobs adopted here, confirms them to their giver, and on the giver's side delivers
// jobs whose handoff was never confirmed and forwards calls for jobs that moved away.
import type { Config } from "../config";
import type { Logger } from "../lib/log";
import type { Span } from "../lib/trace-context";
import type { Job } from "../model/job";
import type { Handoff, MinerAsk } from "./handoffs";
import type { Outcome } from "./outcome";
import type { ParkedPolls } from "./parked-polls";
import { readPoll } from "./redelivery";
import { otherRegionShards, parseShardName, type ShardAddress, shardName, siblingShards } from "./shards";
import type { Store } from "./store";

/** Another shard's DO, as this one calls it. */
export interface ShardPeer {
  cancel(jobId: string, clientId: string, cause?: Span): Promise<Outcome<Job>>;
  watch(jobId: string, clientId: string, after?: number): Promise<Outcome<ReadableStream<Uint8Array>>>;
  fetch(request: Request): Promise<Response>;
  adopt(handoffs: Handoff[]): Promise<void>;
  handOver(asks: MinerAsk[], to: ShardAddress, spill: boolean): Handoff[] | Promise<Handoff[]>;
  confirmHandoffs(jobIds: string[]): void | Promise<void>;
}

/** What sharing needs of its own shard: adopting handed-over jobs, and dropping the handoffs a taker confirmed. */
export interface OwnShard {
  adopt(handoffs: Handoff[]): Promise<void>;
  confirmHandoffs(jobIds: string[]): void;
}

/** How often a shard with parked polls asks other shards for work, and the least spacing of its spill asks. */
const PROBE_INTERVAL_MS = 1_000;
/** A handoff not confirmed by then is offered to its taker again (by the alarm). */
export const HANDOFF_RETRY_MS = 2_000;
/** Handoffs one alarm offers again at most. */
const HANDOFF_RETRY_LIMIT = 200;
/** Parked miners one probe asks for at most (the rest wait for the next probe). */
const PROBE_ASKS = 16;

export class WorkSharing {
  private lastSpillAskAt = 0;
  private probeTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    /** This DO's place in the configured topology; null for a DO of another name (tests), which never shares work. */
    private readonly here: ShardAddress | null,
    private readonly config: Config,
    /** The DO of another shard. */
    private readonly peer: (address: ShardAddress) => ShardPeer,
    private readonly store: Store,
    private readonly own: OwnShard,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /**
   * What a miner of this shard can take now, as other shards are asked on its behalf: nothing while its
   * poll leaves unclear which of its leases it holds (it gets no new work then, see redelivery.ts).
   */
  askOf(minerId: string, maxJobs: number): MinerAsk | null {
    const miner = this.store.miners.get(minerId);
    if (miner?.status !== "ONLINE") return null;
    const running = this.store.runningOf(minerId);
    if (readPoll(running, miner.concurrency, maxJobs).kind !== "consistent") return null;
    const room = Math.min(maxJobs, miner.concurrency - running.count);
    return room > 0 ? { region: miner.region, capabilities: miner.capabilities, room } : null;
  }

  /**
   * Asks sibling shards, then (for jobs past SPILL_AFTER; after an ask that found nothing, not again
   * within a second) other regions' shards, for jobs that fit; adopts what the first giver hands
   * over. Never inside a transaction.
   */
  async fetchWork(asks: MinerAsk[]): Promise<boolean> {
    const here = this.here;
    if (!here || asks.length === 0) return false;
    const now = this.now();
    const spillDue = now - this.lastSpillAskAt >= PROBE_INTERVAL_MS;
    if (spillDue) this.lastSpillAskAt = now;
    const givers = [
      ...siblingShards(here, this.config.shardsPerRegion).map((address) => ({ address, spill: false })),
      ...(spillDue ? otherRegionShards(here, this.config).map((address) => ({ address, spill: true })) : []),
    ];
    for (const { address, spill } of givers) {
      try {
        const handoffs = await this.peer(address).handOver(asks, here, spill);
        if (handoffs.length === 0) continue;
        await this.own.adopt(handoffs);
        await this.peer(address).confirmHandoffs(handoffs.map((h) => h.job.jobId));
        // Other regions had work: the next miss may ask again at once (the spacing only bounds idle asks).
        if (spill) this.lastSpillAskAt = 0;
        return true;
      } catch (err) {
        // The giver keeps its handoff rows and offers the jobs again; this poll just moves on.
        this.log.warn("work fetch failed", { from: shardName(address), error: String(err) });
      }
    }
    return false;
  }

  /** While polls are parked, asks other shards for work for them once a second. */
  probeFor(parked: ParkedPolls): void {
    if (this.probeTimer !== null || !this.here || this.sharesNoWork()) return;
    this.probeTimer = setInterval(() => {
      if (parked.size === 0) {
        clearInterval(this.probeTimer!);
        this.probeTimer = null;
        return;
      }
      const asks = parked
        .polls()
        .slice(0, PROBE_ASKS)
        .map((poll) => this.askOf(poll.call.minerId, poll.maxJobs))
        .filter((a): a is MinerAsk => a !== null);
      void this.fetchWork(asks).catch(() => undefined);
    }, PROBE_INTERVAL_MS);
  }

  /** The shard a job was handed to, once it surely holds the job; null when the job is here. */
  forwardingTarget(jobId: string): Promise<ShardPeer> | null {
    const target = parseShardName(this.store.getJob(jobId)?.movedTo);
    if (!target) return null;
    return (async () => {
      const pending = this.store.handoffs.of(jobId);
      if (pending) await this.deliver(target, [pending.job]);
      return this.peer(target);
    })();
  }

  /** Offers every handoff its taker has not confirmed within HANDOFF_RETRY_MS again (the alarm's). */
  async retryHandoffs(): Promise<void> {
    for (const { target, job } of this.store.handoffs.madeBy(this.now() - HANDOFF_RETRY_MS, HANDOFF_RETRY_LIMIT)) {
      const address = parseShardName(target);
      if (!address) continue;
      try {
        await this.deliver(address, [job]);
      } catch (err) {
        this.log.warn("handoff not delivered; will retry", { job_id: job.jobId, trace_id: job.traceId, error: String(err) });
      }
    }
  }

  /** Gives handed-over jobs to their taker (again), with their streams, and drops the handoff rows once it has them. */
  private async deliver(target: ShardAddress, jobs: Job[]): Promise<void> {
    await this.peer(target).adopt(jobs.map((job) => ({ job, stream: this.store.stream.export(job.jobId) })));
    this.own.confirmHandoffs(jobs.map((j) => j.jobId));
  }

  private sharesNoWork(): boolean {
    return this.config.shardsPerRegion === 1 && this.config.regions.length === 1;
  }
}
