// One per region shard: the single writer of its live queue. Every mutating RPC method runs its
// decision and outbox rows in one transactionSync (see RegionQueue); then, in `mutate`, it hands
// offerable work to parked long-polls, logs and publishes the steps, flushes the outbox to D1 and
// re-arms the one alarm. The parts live in their own modules: parked-polls, outbox-flusher,
// alarm-clock and work-sharing.
import { DurableObject } from "cloudflare:workers";
import { type Config, getConfig } from "../config";
import type { OutboxWrite } from "../db/writes";
import { type Logger, logger } from "../lib/log";
import type { Span } from "../lib/trace-context";
import { type AssignedJob, isFinal, type Job, type JobError, type Metrics } from "../model/job";
import type { Miner } from "../model/miner";
import type { Receipt } from "../model/receipt";
import { contentHash } from "../receipts/canonical-json";
import { ReceiptIssuer } from "../receipts/issuer";
import { PendingSettlementRecorder, type SettlementRecorder } from "../settlement";
import { AlarmClock } from "./alarm-clock";
import { receiptRow } from "./d1-rows";
import { runDoMigrations } from "./do-migrations";
import { COUNTERS, type Handoff, Handoffs, type MinerAsk } from "./handoffs";
import { closeReplyCode, currentStateEntries, JobWatchers, type StreamEntry, sendEntries } from "./job-stream";
import { MinerBook, type Registration } from "./miner-book";
import type { ShardActivity } from "./minute-stats";
import { OutboxFlusher } from "./outbox-flusher";
import { type Outcome, refuse, success } from "./outcome";
import { ParkedPolls } from "./parked-polls";
import type { ProgressPost } from "./progress";
import { type Enqueued, type MinerCall, type ProgressAnswer, RegionQueue, receiptFactsOf } from "./region-queue";
import { isConfiguredShard, parseShardName, type ShardAddress, shardStub } from "./shards";
import type { NewJob } from "./state-machine";
import { logJobSteps } from "./step-log";
import { type DeadlineTimeouts, Store } from "./store";
import { nextWakeAt } from "./timers";
import { HANDOFF_RETRY_MS, type ShardPeer, WorkSharing } from "./work-sharing";

/** A miner as an admin's call answers it, with the jobs it runs. */
export interface HeldMiner {
  miner: Miner;
  heldJobs: string[];
}

const TICK_LIMIT = 500;
export class RegionCoordinator extends DurableObject<Env> implements ShardPeer {
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
  private readonly watchers = new JobWatchers();
  private readonly parked: ParkedPolls;
  private readonly flusher: OutboxFlusher;
  private readonly alarmClock: AlarmClock;
  private readonly sharing: WorkSharing;
  /** Null for a DO that is not a configured shard (tests), which never shares work. */
  private readonly handoffs: Handoffs | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.d1 = env.DB;
    this.config = getConfig(env);
    this.log = logger(this.config.logLevel);
    this.store = new Store(ctx.storage.sql);
    const shard = ctx.id.name;
    const named = parseShardName(shard);
    const here = named && isConfiguredShard(named, this.config) ? named : null;
    this.handoffs = here ? new Handoffs(this.store, here) : null;
    const heartbeatTimeoutMs = this.config.heartbeatTimeoutSeconds * 1000;
    const deadlineTimeouts: DeadlineTimeouts = {
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
    this.parked = new ParkedPolls(this.log, shard);
    // The clock and D1 are read at each use: tests replace them on the instance.
    const now = () => this.now();
    this.flusher = new OutboxFlusher(this.store.outbox, () => this.d1, now, this.log, shard);
    const nextWake = () => {
      const at = this.now();
      return nextWakeAt(this.store.deadlines(deadlineTimeouts, at), at);
    };
    this.alarmClock = new AlarmClock(ctx.storage, nextWake, this.log, shard);
    // RPC typing erases the success values of Outcome; the class implements ShardPeer.
    const peer = (address: ShardAddress) => shardStub(env.REGION_COORDINATOR, this.config, address) as unknown as ShardPeer;
    this.sharing = new WorkSharing(here, this.config, peer, this.store, this, now, this.log);
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
    this.parked.release(minerId);
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
    this.parked.release(call.minerId);
    return this.mutate(call.span, () => this.miners.drain(call.minerId, call.ownerId, this.now()));
  }

  /** An admin's drain (no owner check, not a sign of life); answers the miner and the jobs it runs. */
  drainByAdmin(minerId: string): Promise<Outcome<HeldMiner>> {
    this.parked.release(minerId);
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
    const moved = this.sharing.forwardingTarget(jobId);
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
    const moved = this.sharing.forwardingTarget(jobId);
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
    const moved = this.sharing.forwardingTarget(url.searchParams.get("job_id") ?? "");
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
    const ask = this.sharing.askOf(call.minerId, maxJobs);
    if (ask && (await this.sharing.fetchWork([ask]))) {
      const again = await this.mutate(call.span, () => this.queue.lease(call, maxJobs, this.now()));
      if (!again.ok || again.value.length > 0) return again;
    }
    if (maxWaitSeconds === 0) return leased;
    const answer = this.parked.park(call, maxJobs, maxWaitSeconds * 1000);
    this.sharing.probeFor(this.parked);
    return answer;
  }

  /** RPC from another shard: hands it queued jobs that fit its miners (spill: only those waiting SPILL_AFTER). */
  handOver(asks: MinerAsk[], to: ShardAddress, spill: boolean): Handoff[] {
    if (!this.handoffs) return [];
    const now = this.now();
    const requestedBy = spill ? now - this.config.spillAfterSeconds * 1000 : now;
    const given = this.transact(() => this.handoffs!.handOver(asks, to, requestedBy, now));
    if (given.length > 0) void this.alarmClock.rearmAfterChange();
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
      this.store.handoffs.delete(jobIds);
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
      handoffsPending: this.store.handoffs.count(),
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
    this.alarmClock.forget();
    // The alarm retries a failed flush, and the alarm that fired is spent: always flush, then set the next one.
    await this.mutate(
      undefined,
      () => {
        const now = this.now();
        this.miners.keepAlive(this.parked.minerIds(), now);
        this.queue.tick(now);
        return success(null);
      },
      true,
    );
    await this.sharing.retryHandoffs();
    await this.alarmClock.arm(true);
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
    logJobSteps(this.log, this.ctx.id.name, this.queue.drainDecisions());
    this.watchers.publish(this.queue.drainEmitted(), (jobId) => this.ctx.getWebSockets(jobId));
    // A change with nothing for D1 (a heartbeat, an empty poll) neither waits for other changes'
    // flushes nor re-arms: it can only move deadlines later, and an early alarm is harmless.
    if (this.store.outbox.committed === committedBefore && !fromAlarm) return outcome;
    await this.flusher.flush();
    if (!fromAlarm) await this.alarmClock.rearmAfterChange();
    return outcome;
  }

  /** Offers work to parked polls (most changes leave none to offer); each lease is a step of its poll's request. */
  private serveParkedPolls(): void {
    this.parked.serve(
      () => this.store.hasOfferableJob(this.now()),
      (poll) => this.transact(() => this.queue.causedBy(poll.call.span, () => this.queue.lease(poll.call, poll.maxJobs, this.now()))),
    );
  }
}
