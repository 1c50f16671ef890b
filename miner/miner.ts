// The reference miner's loop: register, heartbeat with the jobs it holds, long-poll for all its free
// slots, run each job with the runner, stream progress, report the outcome, and drain on request.
// A call that fails for now is tried again with backoff; a coordinator that no longer knows the miner
// gets it registered again (docs/miners.md).
import { setTimeout as sleep } from "node:timers/promises";
import type { AssignedJob, CoordinatorClient, JobReportOptions, RegisterMiner, Registration } from "../sdk";
import { Backoff } from "./backoff";
import { describeFailure, failureKind, retryAfterMs } from "./calls";
import type { MinerOptions } from "./options";
import { Pacer, PROGRESS_INTERVAL_MS, type ProgressAnswer, ProgressReporter, type ProgressUpdate } from "./progress-reporter";
import { JobFailure, type Runner, type RunOutcome } from "./runners/runner";
import { formatStatus, type StatusLine, type Tally } from "./status-line";

/** Why a job was stopped before its runner finished: cancelled (or expired), lease lost, or the miner stops at once. */
type StopReason = "canceled" | "gone" | "shutdown";

interface HeldJob {
  job: AssignedJob;
  abort: AbortController;
  stopped?: StopReason;
  /** Settles once the job's outcome is reported (or cannot be). */
  done?: Promise<void>;
}

/** Heartbeats are spread over ±this fraction of the interval, so miners started together drift apart. */
const HEARTBEAT_JITTER = 0.2;
/** Tries of the drain call before the miner gives up its parked poll itself. */
const DRAIN_TRIES = 3;

function wakeSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function registrationBody(options: MinerOptions): RegisterMiner {
  return {
    ...(options.id ? { miner_id: options.id } : {}),
    ...(options.region ? { region: options.region } : {}),
    concurrency: options.concurrency,
    capabilities: {
      ...(options.gpu ? { gpus: [{ name: options.gpu.name, memory_mb: options.gpu.memoryMb }] } : {}),
      ...(options.cuda ? { cuda: options.cuda } : {}),
      ...(options.models.length ? { models: options.models } : {}),
      ...(options.price !== undefined ? { price: options.price } : {}),
    },
  };
}

export class Miner {
  private readonly options: MinerOptions;
  private readonly miners: CoordinatorClient["miners"];
  private readonly runner: Runner;
  private readonly status: StatusLine;
  /** The jobs leased to this miner whose outcome is not reported yet: listed in heartbeats, counted against free slots. */
  private readonly held = new Map<string, HeldJob>();
  private readonly tally: Tally = { running: 0, done: 0, failed: 0, canceled: 0, lost: 0 };
  private registration: Registration | undefined;
  private registering: Promise<Registration> | undefined;
  private state = "starting";
  private draining = false;
  /** Aborted by stopNow: jobs, waits and retries end at once. */
  private readonly halt = new AbortController();
  /** Aborted when the work is over, to end the heartbeat loop. */
  private readonly over = new AbortController();
  /** Resolved (and replaced) whenever a slot frees or the miner starts to drain. */
  private wake = wakeSignal();
  private pollAbort = new AbortController();
  private unreachableSince: number | undefined;
  private readonly progressPacer = new Pacer(PROGRESS_INTERVAL_MS);

  constructor(options: MinerOptions, client: CoordinatorClient, runner: Runner, status: StatusLine) {
    this.options = options;
    this.miners = client.miners;
    this.runner = runner;
    this.status = status;
  }

  /** Runs until drained (0), stopped at once (1), or refused for good, such as a bad key (1). */
  async run(): Promise<number> {
    try {
      await this.register();
    } catch (error) {
      // Stopped before it ever registered: it held nothing, so nothing is lost.
      if (this.draining) return this.finish("stopped", 0);
      this.status.note(`miner: cannot register: ${describeFailure(error)}`);
      return this.finish("refused", 1);
    }
    const heartbeats = this.heartbeatLoop();
    await this.pollLoop();
    while (this.held.size > 0) await Promise.all([...this.held.values()].map((held) => held.done));
    this.over.abort();
    await heartbeats;
    return this.halt.signal.aborted ? this.finish("stopped", 1) : this.finish("drained", 0);
  }

  private finish(state: string, code: number): number {
    this.setState(state);
    this.status.close();
    return code;
  }

  /** Takes no new work; running jobs finish and report, then `run` resolves 0. */
  drain(reason: string): void {
    if (this.draining) return;
    this.draining = true;
    this.status.note(`miner: draining (${reason}); ${this.held.size} running job(s) will finish`);
    this.setState("draining");
    this.wakeUp();
    // Draining answers a parked poll at once (empty). If the coordinator cannot be told, the poll is
    // dropped here instead: a lease its answer carried is given back two heartbeats after it goes unlisted.
    if (this.registration) this.tellDrain().catch(() => this.pollAbort.abort());
    else this.halt.abort(); // still registering: give up
  }

  /** Stops running jobs at once and reports them as retryable failures; `run` then resolves 1. */
  stopNow(): void {
    this.drain("stopping");
    this.status.note("miner: stopping now; running jobs are given back");
    for (const held of this.held.values()) this.stopJob(held, "shutdown");
    this.halt.abort();
    this.pollAbort.abort();
  }

  private wakeUp(): void {
    this.wake.resolve();
    this.wake = wakeSignal();
  }

  private get minerId(): string {
    return this.registration!.miner_id;
  }

  /** Reports on a job name its miner and continue the job's trace. */
  private reportOptions(job: AssignedJob): JobReportOptions {
    return { minerId: this.minerId, traceparent: job.traceparent };
  }

  private setState(state: string): void {
    this.state = state;
    this.showStatus();
  }

  private showStatus(): void {
    this.tally.running = this.held.size;
    const who = this.registration ? `miner ${this.registration.miner_id} (${this.registration.region})` : "miner";
    this.status.update(formatStatus(who, this.state, this.options.concurrency, this.tally));
  }

  private tellDrain(): Promise<unknown> {
    return this.retrying("drain", () => this.miners.drain({ minerId: this.minerId }), DRAIN_TRIES);
  }

  // --- registration and retries ---

  /** Registers, retrying until it succeeds; throws only when refused for good (a bad key or capabilities). One at a time. */
  private register(): Promise<Registration> {
    this.registering ??= (async () => {
      const registration = await this.retrying("register", () => this.miners.register(registrationBody(this.options)));
      const again = this.registration !== undefined;
      this.registration = registration;
      this.status.note(
        `miner: ${again ? "registered again" : "registered"} as ${registration.miner_id} in ${registration.region}, ` +
          `heartbeat every ${registration.heartbeat_interval_seconds} s`,
      );
      // Registering makes a draining miner ONLINE again: say it once more.
      if (this.draining) await this.tellDrain().catch(() => {});
      this.setState(this.draining ? "draining" : "online");
      return registration;
    })().finally(() => {
      this.registering = undefined;
    });
    return this.registering;
  }

  /**
   * Runs `call` until it succeeds. A transient failure is tried again after a backoff (or the wait
   * the coordinator asked for); a coordinator that forgot the miner gets it registered first. Any other
   * failure is thrown, and so is a transient one after `tries` tries or once the miner halts.
   */
  private async retrying<T>(what: string, call: () => Promise<T>, tries = Infinity): Promise<T> {
    const backoff = new Backoff();
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await call();
        this.reachable();
        return value;
      } catch (error) {
        const kind = failureKind(error);
        if (kind === "forgotten" && what !== "register") {
          this.status.note(`miner: the coordinator does not know ${this.minerId} (${what}); registering again`);
          await this.register();
          continue;
        }
        if (kind !== "transient" || attempt >= tries || this.halt.signal.aborted) throw error;
        this.unreachable(what, error);
        await sleep(retryAfterMs(error) ?? backoff.next(), undefined, { signal: this.halt.signal }).catch(() => {});
      }
    }
  }

  private unreachable(what: string, error: unknown): void {
    if (this.unreachableSince !== undefined) return;
    this.unreachableSince = Date.now();
    this.status.note(`miner: ${what} failed (${describeFailure(error)}); trying again with backoff`);
  }

  private reachable(): void {
    if (this.unreachableSince === undefined) return;
    this.status.note(`miner: the coordinator answers again after ${((Date.now() - this.unreachableSince) / 1000).toFixed(1)} s`);
    this.unreachableSince = undefined;
  }

  // --- heartbeats ---

  private async heartbeatLoop(): Promise<void> {
    const signal = this.over.signal;
    for (;;) {
      const seconds = this.registration!.heartbeat_interval_seconds * (1 - HEARTBEAT_JITTER + Math.random() * 2 * HEARTBEAT_JITTER);
      await sleep(seconds * 1000, undefined, { signal }).catch(() => {});
      if (signal.aborted) return;
      try {
        const answer = await this.miners.heartbeat(
          { inflight: [...this.held.keys()], status: this.draining ? "DRAINING" : "ONLINE" },
          { minerId: this.minerId },
        );
        this.reachable();
        for (const jobId of answer.cancel) {
          const held = this.held.get(jobId);
          if (held) this.stopJob(held, "canceled");
        }
        if (answer.drain) this.drain("the coordinator says drain");
      } catch (error) {
        // A refused registration is left to the poll loop, which meets it too and ends the miner.
        const kind = failureKind(error);
        if (kind === "forgotten") await this.register().catch(() => {});
        else if (kind === "transient") this.unreachable("heartbeat", error);
        else this.status.note(`miner: heartbeat refused: ${describeFailure(error)}`);
      }
    }
  }

  // --- polling ---

  private async pollLoop(): Promise<void> {
    const backoff = new Backoff();
    while (!this.draining) {
      const free = this.options.concurrency - this.held.size;
      if (free === 0) {
        await this.wake.promise;
        continue;
      }
      this.pollAbort = new AbortController();
      try {
        const jobs = await this.miners.poll(
          { max_wait_seconds: this.options.pollWaitSeconds, max_jobs: free },
          { minerId: this.minerId, signal: this.pollAbort.signal },
        );
        backoff.reset();
        this.reachable();
        for (const job of jobs) if (!this.held.has(job.job_id)) this.start(job);
      } catch (error) {
        if (this.pollAbort.signal.aborted) break;
        const kind = failureKind(error);
        if (kind === "forgotten") {
          await this.register();
          continue;
        }
        if (kind !== "transient") throw error;
        this.unreachable("poll", error);
        await Promise.race([sleep(retryAfterMs(error) ?? backoff.next()), this.wake.promise]);
      }
    }
  }

  // --- jobs ---

  private start(job: AssignedJob): void {
    const held: HeldJob = { job, abort: new AbortController() };
    this.held.set(job.job_id, held);
    this.showStatus();
    held.done = this.runAndReport(held)
      .catch((error) => this.status.note(`miner: job ${job.job_id}: ${describeFailure(error)}`))
      .finally(() => {
        this.held.delete(job.job_id);
        this.showStatus();
        this.wakeUp();
      });
  }

  private stopJob(held: HeldJob, why: StopReason): void {
    held.stopped ??= why;
    held.abort.abort(why);
  }

  private async runAndReport(held: HeldJob): Promise<void> {
    const { job } = held;
    const reporter = new ProgressReporter((update) => this.sendProgress(job, update), {
      onStop: (why) => this.stopJob(held, why),
      pacer: this.progressPacer,
    });
    const startedAt = performance.now();
    let outcome: RunOutcome | undefined;
    let failure: JobFailure | undefined;
    try {
      outcome = await this.runner(
        { job_id: job.job_id, attempt: job.attempt, payload: job.payload },
        { signal: held.abort.signal, progress: (f, m) => reporter.progress(f, m), output: (text) => reporter.output(text) },
      );
    } catch (error) {
      failure = error instanceof JobFailure ? error : new JobFailure("RUNNER_ERROR", describeFailure(error), true);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    // All output before the outcome, which ends the job's stream; its answers may still say "canceled".
    if (held.stopped) reporter.abandon();
    else await reporter.finish();
    const stopped = held.stopped as StopReason | undefined;
    if (stopped === "canceled" || stopped === "gone") {
      // The coordinator has ended this lease already: nothing to report.
      this.tally[stopped === "canceled" ? "canceled" : "lost"]++;
      return;
    }
    if (stopped === "shutdown") failure = new JobFailure("MINER_SHUTDOWN", "the miner was stopped while the job ran", true);

    const tries = this.halt.signal.aborted ? 1 : Infinity;
    try {
      if (outcome && !failure) {
        const metrics = { units: outcome.units ?? durationMs / 1000, unit_type: "gpu_seconds", duration_ms: durationMs };
        const result = outcome.result;
        try {
          await this.retrying(
            "result",
            () => this.miners.result(job.job_id, { result, metrics, lease_id: job.lease_id }, this.reportOptions(job)),
            tries,
          );
          this.tally.done++;
          return;
        } catch (error) {
          // A result the coordinator will not take (too large, say) fails the job instead.
          if (failureKind(error) !== "refused") throw error;
          failure = new JobFailure("RESULT_REFUSED", describeFailure(error), false);
        }
      }
      const { code, message, retryable } = failure!;
      const body = {
        error_code: code,
        error_message: message.slice(0, 4096),
        retryable,
        metrics: { duration_ms: durationMs },
        lease_id: job.lease_id,
      };
      await this.retrying("fail", () => this.miners.fail(job.job_id, body, this.reportOptions(job)), tries);
      this.tally.failed++;
      this.status.note(`miner: job ${job.job_id} failed: ${code}${retryable ? " (retryable)" : ""}: ${message}`);
    } catch (error) {
      // Cancelled while the outcome was on its way, or the lease was lost: the coordinator decided.
      const canceled = (held.stopped as StopReason | undefined) === "canceled";
      this.tally[canceled ? "canceled" : "lost"]++;
      if (failureKind(error) !== "gone") this.status.note(`miner: could not report job ${job.job_id}: ${describeFailure(error)}`);
    }
  }

  private async sendProgress(job: AssignedJob, update: ProgressUpdate): Promise<ProgressAnswer> {
    try {
      const answer = await this.miners.progress(job.job_id, { lease_id: job.lease_id, ...update }, this.reportOptions(job));
      return { kind: "ok", canceled: answer.canceled };
    } catch (error) {
      switch (failureKind(error)) {
        case "transient":
          return { kind: "retry", afterMs: retryAfterMs(error) };
        case "forgotten":
          return { kind: "retry" }; // the heartbeat or poll loop registers the miner again
        case "gone":
          return { kind: "gone" };
        case "refused":
          return { kind: "refused" };
        default:
          throw error;
      }
    }
  }
}
