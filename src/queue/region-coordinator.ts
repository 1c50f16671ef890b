// One per region: the single writer of that region's live queue. Each mutating method runs its
// decision and outbox rows in one transactionSync (see RegionQueue), then flushes the outbox to
// D1, re-arms the one alarm, and hands freed or new work to parked long-polls.
import { DurableObject } from "cloudflare:workers";
import { type Config, getConfig } from "../config";
import { type OutboxWrite, writeToD1 } from "../db/writes";
import { type Logger, logger } from "../lib/log";
import type { Span } from "../lib/trace-context";
import { type AssignedJob, isFinal, type Job, type JobError, type Metrics } from "../model/job";
import type { Miner } from "../model/miner";
import type { Receipt } from "../model/receipt";
import { contentHash } from "../receipts/canonical-json";
import { ReceiptIssuer } from "../receipts/issuer";
import { PendingSettlementRecorder, type SettlementRecorder } from "../settlement";
import { receiptRow } from "./d1-rows";
import { runDoMigrations } from "./do-migrations";
import { COUNTERS, type Handoff, Handoffs, type MinerAsk } from "./handoffs";
import { closeReplyCode, currentStateEntries, JobWatchers, type StreamEntry, sendEntries } from "./job-stream";
import { MinerBook, type Registration } from "./miner-book";
import type { ShardActivity } from "./minute-stats";
import { type Outcome, refuse, success } from "./outcome";
import type { ProgressPost } from "./progress";
import { readPoll } from "./redelivery";
import { type Decision, type Enqueued, type MinerCall, type ProgressAnswer, RegionQueue, receiptFactsOf } from "./region-queue";
import { isConfiguredShard, otherRegionShards, parseShardName, type ShardAddress, shardName, shardStub, siblingShards } from "./shards";
import type { NewJob } from "./state-machine";
import { type DeadlineTimeouts, Store } from "./store";
import { nextWakeAt } from "./timers";

/** Another shard's DO as this one calls it (RPC typing erases the success values of Outcome). */
type RegionApiOf = Pick<RegionCoordinator, "cancel" | "watch" | "fetch" | "adopt" | "handOver" | "confirmHandoffs">;

/** A miner as an admin's call answers it, with the jobs it runs. */
export interface HeldMiner {
  miner: Miner;
  heldJobs: string[];
}

interface ParkedPoll {
  call: MinerCall;
  maxJobs: number;
  settle: (outcome: Outcome<AssignedJob[]>) => void;
}

// Rows per D1 batch: a full POST /v1/jobs/batch (100 jobs, 2 rows each) reaches D1 as one batch.
const OUTBOX_BATCH = 200;
const TICK_LIMIT = 500;
/** How often a shard with parked polls asks other shards for work, and the least spacing of its spill asks. */
const PROBE_INTERVAL_MS = 1_000;
/** A handoff not confirmed by then is offered to its taker again (by the alarm). */
const HANDOFF_RETRY_MS = 2_000;
/** Parked miners one probe asks for at most (the rest wait for the next probe). */
const PROBE_ASKS = 16;

export class RegionCoordinator extends DurableObject<Env> {
  /** Time seam: tests pin the clock through runInDurableObject; storage and crypto stay real. */
  now: () => number = () => Date.now();
  /** Where the outbox lands; tests wrap it to inject D1 failures. */
  d1: D1Database;
  private readonly config: Config;
  private readonly log: Logger;
  private readonly store: Store;
  private readonly miners: MinerBook;
  private readonly queue: RegionQueue;
  private readonly receipts: ReceiptIssuer;
  private readonly settlement: SettlementRecorder = new PendingSettlementRecorder();
  private readonly parked = new Map<string, ParkedPoll>();
  private readonly watchers = new JobWatchers();
  private flushChain: Promise<void> = Promise.resolve();
  /** This DO's place in the configured topology; null for a DO of another name (tests), which never shares work. */
  private readonly here: ShardAddress | null;
  private readonly handoffs: Handoffs | null;
  private lastSpillAskAt = 0;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private readonly deadlineTimeouts: DeadlineTimeouts;
  /** The alarm as this object last set or read it; undefined: not known (read it before trusting it). */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.d1 = env.DB;
    this.config = getConfig(env);
    this.log = logger(this.config.logLevel);
    this.store = new Store(ctx.storage.sql);
    const named = parseShardName(ctx.id.name);
    this.here = named && isConfiguredShard(named, this.config) ? named : null;
    this.handoffs = this.here ? new Handoffs(this.store, this.here) : null;
    const heartbeatTimeoutMs = this.config.heartbeatTimeoutSeconds * 1000;
    this.deadlineTimeouts = {
      heartbeatTimeoutMs,
      finishedRetentionMs: this.config.finishedJobRetentionSeconds * 1000,
      handoffRetryMs: HANDOFF_RETRY_MS,
    };
    this.miners = new MinerBook(this.store, heartbeatTimeoutMs);
    this.queue = new RegionQueue(
      this.store,
      {
        heartbeatTimeoutMs,
        leaseGraceMs: this.config.heartbeatIntervalSeconds * 2000,
        retryBackoffBaseSeconds: this.config.retryBackoffBaseSeconds,
        retryBackoffMaxSeconds: this.config.retryBackoffMaxSeconds,
        finishedRetentionMs: this.config.finishedJobRetentionSeconds * 1000,
        tickLimit: TICK_LIMIT,
        here: named ?? undefined,
      },
      this.miners,
    );
    this.receipts = new ReceiptIssuer(this.config);
    void ctx.blockConcurrencyWhile(async () => runDoMigrations(ctx.storage.sql));
  }

  /** `cause`: the span of the submit (every RPC that can change a job takes its request's span). */
  enqueue(job: NewJob, cause?: Span): Promise<Outcome<Enqueued>> {
    return this.mutate(cause, () => this.queue.enqueue(job, this.now()));
  }

  /** A batch's jobs for this region: one transaction, one outbox flush, answers in order. */
  enqueueBatch(jobs: NewJob[], cause?: Span): Promise<Outcome<Enqueued[]>> {
    return this.mutate(cause, () => this.queue.enqueueAll(jobs, this.now()));
  }

  register(registration: Registration): Promise<Outcome<{ miner: Miner; sessionToken: string }>> {
    return this.mutate(undefined, () => this.miners.register(registration, this.now()));
  }

  retire(minerId: string, cause?: Span): Promise<Outcome<{ version: number | null }>> {
    this.parked.get(minerId)?.settle(success([]));
    return this.mutate(cause, () => success({ version: this.queue.retire(minerId, this.now()) }));
  }

  /** `held`: the job ids the miner says it runs, when it sends them as a list. */
  heartbeat(call: MinerCall, reported: Record<string, unknown>, held?: string[]) {
    return this.mutate(call.span, () => {
      const answer = this.miners.heartbeat(call.minerId, call.ownerId, reported, this.now());
      if (answer.ok && held) this.queue.releaseUnheld(call.minerId, held, this.now());
      return answer;
    });
  }

  drain(call: MinerCall) {
    this.parked.get(call.minerId)?.settle(success([]));
    return this.mutate(call.span, () => this.miners.drain(call.minerId, call.ownerId, this.now()));
  }

  /** An admin's drain (no owner check, not a sign of life); answers the miner and the jobs it runs. */
  drainByAdmin(minerId: string): Promise<Outcome<HeldMiner>> {
    this.parked.get(minerId)?.settle(success([]));
    return this.mutate(undefined, () => this.withHeldJobs(this.miners.drainByAdmin(minerId, this.now())));
  }

  /** Ends an admin's drain; answers the miner and the jobs it runs. */
  undrainByAdmin(minerId: string): Promise<Outcome<HeldMiner>> {
    return this.mutate(undefined, () => this.withHeldJobs(this.miners.undrainByAdmin(minerId, this.now())));
  }

  /** The jobs each of these miners of this shard runs now, for the admin's miner list. */
  heldJobs(minerIds: string[]): Record<string, string[]> {
    return this.store.runningJobIds(minerIds);
  }

  private withHeldJobs(outcome: Outcome<Miner>): Outcome<HeldMiner> {
    if (!outcome.ok) return outcome;
    const miner = outcome.value;
    return success({ miner, heldJobs: this.store.runningJobIds([miner.minerId])[miner.minerId] ?? [] });
  }

  async cancel(jobId: string, clientId: string, cause?: Span): Promise<Outcome<Job>> {
    const moved = this.forwardingTarget(jobId);
    if (moved) return (await moved).cancel(jobId, clientId, cause);
    return this.mutate(cause, () => this.queue.cancel(jobId, clientId, this.now()));
  }

  fail(call: MinerCall, jobId: string, leaseId: string | undefined, error: JobError, retryable: boolean) {
    return this.mutate(call.span, () => this.queue.fail(call, { jobId, leaseId, error, retryable }, this.now()));
  }

  /** A progress post of the miner that holds the job: stored here and sent to subscribers, never written to D1. */
  progress(call: MinerCall, jobId: string, post: ProgressPost): Promise<Outcome<ProgressAnswer>> {
    return this.mutate(call.span, () => this.queue.progress(call, jobId, post, this.now()));
  }

  /**
   * A server-sent event stream of the job: the state it is in now, or (`after`, the last id a client
   * got) every event after that one; then every event live.
   */
  async watch(jobId: string, clientId: string, after?: number): Promise<Outcome<ReadableStream<Uint8Array>>> {
    const moved = this.forwardingTarget(jobId);
    if (moved) return (await moved).watch(jobId, clientId, after);
    const job = this.clientJob(jobId, clientId);
    if (!job) return refuse("JOB_NOT_FOUND", "job not found");
    return success(this.watchers.open(jobId, this.opening(job, after), isFinal(job.state)));
  }

  private opening(job: Job, after: number | undefined): StreamEntry[] {
    if (after !== undefined) return this.store.stream.after(job, after);
    return currentStateEntries(job.jobId, job.state, job.updatedAt, this.store.stream.head(job.jobId).lastId);
  }

  /**
   * The WebSocket variant of watch (WebSockets cannot cross RPC). Sockets use the hibernation API,
   * tagged with the job id, so idle subscribers cost nothing. Reached only through the Worker.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const moved = this.forwardingTarget(url.searchParams.get("job_id") ?? "");
    if (moved) return (await moved).fetch(request);
    const job = this.clientJob(url.searchParams.get("job_id") ?? "", url.searchParams.get("client_id") ?? "");
    if (!job) return new Response(null, { status: 404 });
    const after = url.searchParams.get("after");
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server!, [job.jobId]);
    sendEntries(server!, this.opening(job, after === null ? undefined : Number(after)), isFinal(job.state));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Completes the closing handshake; closing a socket that is already gone does nothing. */
  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    socket.close(closeReplyCode(code), reason);
  }

  private clientJob(jobId: string, clientId: string): Job | null {
    const job = this.store.getJob(jobId);
    return job && job.clientId === clientId ? job : null;
  }

  /**
   * A real long-poll: answers at once when work fits (taking it from sibling shards, or from other
   * regions once it waited SPILL_AFTER, when its own shard has none), else parks until work
   * arrives or the wait ends.
   */
  async poll(call: MinerCall, maxJobs: number, maxWaitSeconds: number): Promise<Outcome<AssignedJob[]>> {
    const leased = await this.mutate(call.span, () => this.queue.lease(call, maxJobs, this.now()));
    if (!leased.ok || leased.value.length > 0) return leased;
    const ask = this.askOf(call.minerId, maxJobs);
    if (ask && (await this.fetchWork([ask]))) {
      const again = await this.mutate(call.span, () => this.queue.lease(call, maxJobs, this.now()));
      if (!again.ok || again.value.length > 0) return again;
    }
    if (maxWaitSeconds === 0) return leased;
    return this.park(call, maxJobs, maxWaitSeconds * 1000);
  }

  /** RPC from another shard: hands it queued jobs that fit its miners (spill: only those waiting SPILL_AFTER). */
  handOver(asks: MinerAsk[], to: ShardAddress, spill: boolean): Handoff[] {
    if (!this.handoffs) return [];
    const now = this.now();
    const requestedBy = spill ? now - this.config.spillAfterSeconds * 1000 : now;
    const given = this.transact(() => this.handoffs!.handOver(asks, to, requestedBy, now));
    if (given.length > 0) void this.rearmAfter();
    return given;
  }

  /** RPC from the shard that handed the jobs over: idempotent, so a repeated handoff changes nothing. */
  async adopt(handoffs: Handoff[]): Promise<void> {
    if (!this.handoffs) throw new Error("this DO is not a configured shard and takes no jobs");
    await this.mutate(undefined, () => {
      this.handoffs!.adopt(handoffs, this.now());
      return success(null);
    });
  }

  /** RPC from the taker: the jobs are adopted there, so the handoff rows and this shard's copy of their streams can go. */
  confirmHandoffs(jobIds: string[]): void {
    const gone = this.transact(() => {
      this.store.deleteHandoffs(jobIds);
      // A job that has come back here since is live again: its stream stays.
      const moved = this.store.movedAway(jobIds);
      this.store.stream.drop(moved);
      return moved;
    });
    // Their subscribers here would hear nothing more: they reconnect and reach the taker.
    this.watchers.endMoved(gone, (jobId) => this.ctx.getWebSockets(jobId));
  }

  /** Live figures of this shard for admin stats. */
  shardStats() {
    const counter = (key: string) => Number(this.store.getMeta(key) ?? 0);
    return {
      ...this.store.shardFigures(this.now()),
      spilledIn: counter(COUNTERS.spilledIn),
      stolenIn: counter(COUNTERS.stolenIn),
      handoffsPending: this.store.handoffCount(),
    };
  }

  /** The per-minute counts of the minutes `from` to `to` (minute starts) and the depth now, for the admin history. */
  minuteStats(from: number, to: number): ShardActivity {
    return { ...this.store.minutes.window(from, to), live: this.store.depth() };
  }

  /**
   * Signing is async, so completion checks the lease, signs, then re-checks and commits in one
   * transaction: a cancel or a duplicate result that lands while signing wins or loses cleanly.
   * The commit names the lease the receipt was built from, whose terms and start time it signs.
   */
  async complete(call: MinerCall, jobId: string, leaseId: string | undefined, result: Record<string, unknown>, metrics: Metrics) {
    const report = { jobId, leaseId, resultHash: await contentHash(result) };
    // Every result is a sign of life, which may bring the miner back ONLINE: one to be signed records it
    // in its commit; a refusal or a replay is judged again in a transaction of its own that records it.
    const peeked = this.queue.peekCompletion(call, report);
    const check =
      peeked.ok && !peeked.value.replay ? peeked : await this.mutate(call.span, () => this.queue.checkCompletion(call, report, this.now()));
    if (!check.ok) return check;
    if (check.value.replay) return success({ receipt: check.value.receipt });
    const leased = check.value.job;
    const completedAt = this.now();
    const receipt = await this.receipts.issue(receiptFactsOf(leased, call.minerId, metrics, report.resultHash, completedAt));
    if (receipt) {
      this.log.info("receipt issued", {
        job_id: jobId,
        receipt_id: receipt.receipt_id,
        key_id: receipt.signature.key_id,
        trace_id: leased.traceId,
        span_id: call.span?.spanId,
      });
    }
    const writes = receipt ? this.receiptWrites(receipt, completedAt) : [];
    return this.mutate(call.span, () =>
      this.queue.complete(
        call,
        { jobId, leaseId: leased.leaseId ?? leaseId, result, resultHash: report.resultHash, reported: metrics, receipt, writes },
        completedAt,
      ),
    );
  }

  /** A receipt reaches D1 with its settlement, in the same flush. */
  private receiptWrites(receipt: Receipt, issuedAt: number): OutboxWrite[] {
    return [{ kind: "receipt", row: receiptRow(receipt, issuedAt) }, ...this.settlement.recordIssued(receipt, issuedAt)];
  }

  override async alarm(): Promise<void> {
    // The alarm that fired is gone: read it again rather than trust the last one set.
    this.alarmAt = undefined;
    // The alarm retries a failed flush, and the alarm that fired is spent: always flush, then set the next one.
    await this.mutate(
      undefined,
      () => {
        const now = this.now();
        this.miners.keepAlive([...this.parked.keys()], now);
        this.queue.tick(now);
        return success(null);
      },
      true,
    );
    await this.retryHandoffs();
    await this.armAlarm(true);
  }

  /** The stub of the shard a job was handed to, once it surely holds it; null when the job is here. */
  private forwardingTarget(jobId: string): Promise<RegionApiOf> | null {
    const movedTo = this.store.getJob(jobId)?.movedTo;
    const target = parseShardName(movedTo);
    if (!target) return null;
    return (async () => {
      const pending = this.store.handoffOf(jobId);
      if (pending) await this.deliver(target, [pending.job]);
      return this.stubOf(target);
    })();
  }

  private stubOf(address: ShardAddress): RegionApiOf {
    return shardStub(this.env.REGION_COORDINATOR, this.config, address) as unknown as RegionApiOf;
  }

  /** Gives handed-over jobs to their taker (again), with their streams, and drops the handoff rows once it has them. */
  private async deliver(target: ShardAddress, jobs: Job[]): Promise<void> {
    await this.stubOf(target).adopt(jobs.map((job) => ({ job, stream: this.store.stream.export(job.jobId) })));
    this.confirmHandoffs(jobs.map((j) => j.jobId));
  }

  private async retryHandoffs(): Promise<void> {
    for (const { target, job } of this.store.handoffs(this.now() - HANDOFF_RETRY_MS, OUTBOX_BATCH)) {
      const address = parseShardName(target);
      if (!address) continue;
      try {
        await this.deliver(address, [job]);
      } catch (err) {
        this.log.warn("handoff not delivered; will retry", { job_id: job.jobId, trace_id: job.traceId, error: String(err) });
      }
    }
  }

  /**
   * What a miner of this shard can take now, as other shards are asked on its behalf: nothing while its
   * poll leaves unclear which of its leases it holds (it gets no new work then, see redelivery.ts).
   */
  private askOf(minerId: string, maxJobs: number): MinerAsk | null {
    const miner = this.store.getMiner(minerId);
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
  private async fetchWork(asks: MinerAsk[]): Promise<boolean> {
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
        const handoffs = await this.stubOf(address).handOver(asks, here, spill);
        if (handoffs.length === 0) continue;
        await this.adopt(handoffs);
        await this.stubOf(address).confirmHandoffs(handoffs.map((h) => h.job.jobId));
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
  private probeForParked(): void {
    if (this.probeTimer !== null || !this.here || this.sharesNoWork()) return;
    this.probeTimer = setInterval(() => {
      if (this.parked.size === 0) {
        clearInterval(this.probeTimer!);
        this.probeTimer = null;
        return;
      }
      const asks = [...this.parked.entries()]
        .slice(0, PROBE_ASKS)
        .map(([minerId, poll]) => this.askOf(minerId, poll.maxJobs))
        .filter((a): a is MinerAsk => a !== null);
      void this.fetchWork(asks).catch(() => undefined);
    }, PROBE_INTERVAL_MS);
  }

  private sharesNoWork(): boolean {
    return this.config.shardsPerRegion === 1 && this.config.regions.length === 1;
  }

  /**
   * One storage transaction: what it appends to the outbox counts once it has committed, and what it
   * wrote is forgotten from memory if it threw.
   */
  private transact<T>(change: () => T): T {
    try {
      const value = this.ctx.storage.transactionSync(change);
      this.store.outbox.settle(true);
      return value;
    } catch (err) {
      this.store.outbox.settle(false);
      this.store.forgetUncommitted();
      this.queue.drainEmitted();
      this.queue.drainDecisions();
      throw err;
    }
  }

  /**
   * `cause`: the span of the request the change serves (none: the alarm's, or a change of no job). `fromAlarm`: flush even
   * when the change wrote nothing for D1, and leave re-arming to the alarm.
   */
  private async mutate<T>(cause: Span | undefined, change: () => Outcome<T>, fromAlarm = false): Promise<Outcome<T>> {
    const committedBefore = this.store.outbox.committed;
    const outcome = this.transact(() => this.queue.causedBy(cause, change));
    this.serveParkedPolls();
    this.logDecisions(this.queue.drainDecisions());
    this.watchers.publish(this.queue.drainEmitted(), (jobId) => this.ctx.getWebSockets(jobId));
    // A change with nothing for D1 (a heartbeat, an empty poll) neither waits for other changes'
    // flushes nor re-arms: it can only move deadlines later, and an early alarm is harmless.
    if (this.store.outbox.committed === committedBefore && !fromAlarm) return outcome;
    await this.flushOutbox();
    if (!fromAlarm) await this.rearmAfter();
    return outcome;
  }

  /** One log line per job step, after its commit: the job's trace, and the request's trace when that differs. */
  private logDecisions(decisions: Decision[]): void {
    if (!this.log.wants("info")) return;
    for (const { event, causeTraceId } of decisions) {
      this.log.info("job step", {
        shard: this.ctx.id.name,
        job_id: event.jobId,
        step: event.type,
        from_state: event.fromState,
        to_state: event.toState,
        miner_id: event.minerId,
        trace_id: event.traceId,
        span_id: event.spanId,
        cause_trace_id: causeTraceId ?? undefined,
      });
    }
  }

  private park(call: MinerCall, maxJobs: number, waitMs: number): Promise<Outcome<AssignedJob[]>> {
    this.parked.get(call.minerId)?.settle(success([]));
    return new Promise((resolve) => {
      const timer = setTimeout(() => poll.settle(success([])), waitMs);
      const poll: ParkedPoll = {
        call,
        maxJobs,
        settle: (outcome) => {
          clearTimeout(timer);
          if (this.parked.get(call.minerId) === poll) this.parked.delete(call.minerId);
          resolve(outcome);
        },
      };
      this.parked.set(call.minerId, poll);
      this.probeForParked();
    });
  }

  /**
   * Parked polls in the order they parked, while any job is there to offer (most changes leave none).
   * A lease that throws rolls back and answers its poll with nothing, as a wait that ends does: the
   * change that woke the poll has committed, and its own answer must not turn into an error.
   */
  private serveParkedPolls(): void {
    for (const poll of this.parked.values()) {
      if (!this.store.hasOfferableJob(this.now())) return;
      try {
        // The lease is a step of the parked poll's request, whichever change made the job offerable.
        const leased = this.transact(() =>
          this.queue.causedBy(poll.call.span, () => this.queue.lease(poll.call, poll.maxJobs, this.now())),
        );
        if (!leased.ok || leased.value.length > 0) poll.settle(leased);
      } catch (err) {
        this.log.warn("parked poll not served", { shard: this.ctx.id.name, miner_id: poll.call.minerId, error: String(err) });
        poll.settle(success([]));
      }
    }
  }

  private flushOutbox(): Promise<void> {
    this.flushChain = this.flushChain.then(() => this.flushPending());
    return this.flushChain;
  }

  /**
   * Never rejects: a flush that fails (D1, or this object's own storage) leaves the outbox rows for the
   * alarm to send again, and the change it followed has committed, so its answer stands.
   */
  private async flushPending(): Promise<void> {
    let writes: readonly OutboxWrite[] = [];
    try {
      for (let batch = this.store.outbox.next(OUTBOX_BATCH); batch; batch = this.store.outbox.next(OUTBOX_BATCH)) {
        writes = batch.writes;
        await writeToD1(this.d1, writes);
        if (this.log.wants("debug"))
          this.log.debug("outbox flushed", { shard: this.ctx.id.name, writes: writes.length, trace_ids: tracesOf(writes) });
        this.store.outbox.delivered(batch.through);
      }
    } catch (err) {
      let pending: number | undefined;
      try {
        this.store.outbox.failed(this.now());
        pending = this.store.outbox.size();
      } catch {
        // Storage that cannot note the failure cannot back off either: the alarm retries at its next tick.
      }
      this.log.warn("outbox flush failed; will retry", {
        shard: this.ctx.id.name,
        pending,
        trace_ids: tracesOf(writes),
        error: String(err),
      });
    }
  }

  /**
   * Sets the alarm for the next deadline. Outside the alarm it only ever moves the alarm earlier: an
   * alarm that fires early is harmless (it ticks and sets the next one), and most changes would move
   * it a little later on every request. `spent`: the alarm has just fired, so set the next one exactly.
   */
  private async armAlarm(spent = false): Promise<void> {
    const now = this.now();
    const wakeAt = nextWakeAt(this.store.deadlines(this.deadlineTimeouts, now), now);
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    // Decided and noted before the write, with no await between: of concurrent calls, the last write is the earliest.
    const current = this.alarmAt;
    try {
      if (wakeAt === null) {
        if (spent && current !== null) {
          this.alarmAt = null;
          await this.ctx.storage.deleteAlarm();
        }
      } else if (current === null || wakeAt < current || (spent && wakeAt !== current)) {
        this.alarmAt = wakeAt;
        await this.ctx.storage.setAlarm(wakeAt);
      }
    } catch (err) {
      // The write failed: the next call reads the alarm again rather than trust what was noted.
      this.alarmAt = undefined;
      throw err;
    }
  }

  /**
   * Re-arms after a change that has committed (and outside the alarm, which throws instead so that
   * the runtime retries it): a failure is logged, not answered, and the next change sets the alarm.
   */
  private async rearmAfter(): Promise<void> {
    try {
      await this.armAlarm();
    } catch (err) {
      this.log.warn("alarm not set; the next change sets it", { shard: this.ctx.id.name, error: String(err) });
    }
  }
}

/** The traces a flush carries (its job steps'), for its log line. */
function tracesOf(writes: readonly OutboxWrite[]): string {
  const traces = new Set(writes.flatMap((w) => (w.kind === "event" && w.row.traceId ? [w.row.traceId] : [])));
  return [...traces].join(",");
}
