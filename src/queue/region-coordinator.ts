// One per region: the single writer of that region's live queue. Each mutating method runs its
// decision and outbox rows in one transactionSync (see RegionQueue), then flushes the outbox to
// D1, re-arms the one alarm, and hands freed or new work to parked long-polls.
import { DurableObject } from "cloudflare:workers";
import { type Config, getConfig } from "../config";
import { type OutboxWrite, writeToD1 } from "../db/writes";
import { type AssignedJob, isFinal, type Job, type JobError, type Metrics } from "../model/job";
import type { Miner } from "../model/miner";
import type { Receipt } from "../model/receipt";
import { contentHash } from "../receipts/canonical-json";
import { ReceiptIssuer } from "../receipts/issuer";
import { PendingSettlementRecorder, type SettlementRecorder } from "../settlement";
import { receiptRow } from "./d1-rows";
import { runDoMigrations } from "./do-migrations";
import { closeReplyCode, framesFor, JobWatchers, sendFrames } from "./job-stream";
import { MinerBook, type Registration } from "./miner-book";
import { type Outcome, refuse, success } from "./outcome";
import { type Enqueued, type MinerCall, RegionQueue, receiptFactsOf } from "./region-queue";
import type { NewJob } from "./state-machine";
import { Store } from "./store";
import { nextWakeAt, outboxRetryDelayMs } from "./timers";

interface ParkedPoll {
  ownerId: string;
  maxJobs: number;
  settle: (outcome: Outcome<AssignedJob[]>) => void;
}

// Rows per D1 batch: a full POST /v1/jobs/batch (100 jobs, 2 rows each) reaches D1 as one batch.
const OUTBOX_BATCH = 200;
const TICK_LIMIT = 500;

export class RegionCoordinator extends DurableObject<Env> {
  /** Time seam: tests pin the clock through runInDurableObject; storage and crypto stay real. */
  now: () => number = () => Date.now();
  /** Where the outbox lands; tests wrap it to inject D1 failures. */
  d1: D1Database;
  private readonly config: Config;
  private readonly store: Store;
  private readonly miners: MinerBook;
  private readonly queue: RegionQueue;
  private readonly receipts: ReceiptIssuer;
  private readonly settlement: SettlementRecorder = new PendingSettlementRecorder();
  private readonly parked = new Map<string, ParkedPoll>();
  private readonly watchers = new JobWatchers();
  private flushChain: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.d1 = env.DB;
    this.config = getConfig(env);
    this.store = new Store(ctx.storage.sql);
    const heartbeatTimeoutMs = this.config.heartbeatTimeoutSeconds * 1000;
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
      },
      this.miners,
    );
    this.receipts = new ReceiptIssuer(this.config);
    void ctx.blockConcurrencyWhile(async () => runDoMigrations(ctx.storage.sql));
  }

  enqueue(job: NewJob): Promise<Outcome<Enqueued>> {
    return this.mutate(() => this.queue.enqueue(job, this.now()));
  }

  /** A batch's jobs for this region: one transaction, one outbox flush, answers in order. */
  enqueueBatch(jobs: NewJob[]): Promise<Outcome<Enqueued[]>> {
    return this.mutate(() => this.queue.enqueueAll(jobs, this.now()));
  }

  register(registration: Registration): Promise<Outcome<{ miner: Miner; sessionToken: string }>> {
    return this.mutate(() => this.miners.register(registration, this.now()));
  }

  retire(minerId: string): Promise<Outcome<null>> {
    this.parked.get(minerId)?.settle(success([]));
    return this.mutate(() => {
      this.queue.retire(minerId, this.now());
      return success(null);
    });
  }

  /** `held`: the job ids the miner says it runs, when it sends them as a list. */
  heartbeat(call: MinerCall, reported: Record<string, unknown>, held?: string[]) {
    return this.mutate(() => {
      const answer = this.miners.heartbeat(call.minerId, call.ownerId, reported, this.now());
      if (answer.ok && held) this.queue.releaseUnheld(call.minerId, held, this.now());
      return answer;
    });
  }

  drain(call: MinerCall) {
    this.parked.get(call.minerId)?.settle(success([]));
    return this.mutate(() => this.miners.drain(call.minerId, call.ownerId, this.now()));
  }

  cancel(jobId: string, clientId: string) {
    return this.mutate(() => this.queue.cancel(jobId, clientId, this.now()));
  }

  fail(call: MinerCall, jobId: string, leaseId: string | undefined, error: JobError, retryable: boolean) {
    return this.mutate(() => this.queue.fail(call, { jobId, leaseId, error, retryable }, this.now()));
  }

  /** A server-sent event stream of the job's state, starting with the state it is in now. */
  watch(jobId: string, clientId: string): Outcome<ReadableStream<Uint8Array>> {
    const job = this.clientJob(jobId, clientId);
    if (!job) return refuse("JOB_NOT_FOUND", "job not found");
    return success(this.watchers.open(jobId, job.state, job.updatedAt));
  }

  /**
   * The WebSocket variant of watch (WebSockets cannot cross RPC). Sockets use the hibernation API,
   * tagged with the job id, so idle subscribers cost nothing. Reached only through the Worker.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const job = this.clientJob(url.searchParams.get("job_id") ?? "", url.searchParams.get("client_id") ?? "");
    if (!job) return new Response(null, { status: 404 });
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server!, [job.jobId]);
    sendFrames(server!, framesFor(job.jobId, job.state, job.updatedAt), isFinal(job.state));
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

  /** A real long-poll: answers at once when work fits, else parks until work arrives or the wait ends. */
  async poll(call: MinerCall, maxJobs: number, maxWaitSeconds: number): Promise<Outcome<AssignedJob[]>> {
    const leased = await this.mutate(() => this.queue.lease(call, maxJobs, this.now()));
    if (!leased.ok || leased.value.length > 0 || maxWaitSeconds === 0) return leased;
    return this.park(call, maxJobs, maxWaitSeconds * 1000);
  }

  /**
   * Signing is async, so completion checks the lease, signs, then re-checks and commits in one
   * transaction: a cancel or a duplicate result that lands while signing wins or loses cleanly.
   * The commit names the lease the receipt was built from, whose terms and start time it signs.
   */
  async complete(call: MinerCall, jobId: string, leaseId: string | undefined, result: Record<string, unknown>, metrics: Metrics) {
    const resultHash = await contentHash(result);
    // A mutation too: the check is a sign of life that may bring the miner back ONLINE.
    const check = await this.mutate(() => this.queue.checkCompletion(call, { jobId, leaseId, resultHash }, this.now()));
    if (!check.ok) return check;
    if (check.value.replay) return success({ receipt: check.value.receipt });
    const leased = check.value.job;
    const completedAt = this.now();
    const receipt = await this.receipts.issue(receiptFactsOf(leased, call.minerId, metrics, resultHash, completedAt));
    const writes = receipt ? this.receiptWrites(receipt, completedAt) : [];
    return this.mutate(() =>
      this.queue.complete(
        call,
        { jobId, leaseId: leased.leaseId ?? leaseId, result, resultHash, reported: metrics, receipt, writes },
        completedAt,
      ),
    );
  }

  /** A receipt reaches D1 with its settlement, in the same flush. */
  private receiptWrites(receipt: Receipt, issuedAt: number): OutboxWrite[] {
    return [{ kind: "receipt", row: receiptRow(receipt, issuedAt) }, ...this.settlement.recordIssued(receipt, issuedAt)];
  }

  override async alarm(): Promise<void> {
    // The alarm retries a failed flush, and the alarm that fired is spent: always flush and re-arm.
    await this.mutate(() => {
      const now = this.now();
      this.miners.keepAlive([...this.parked.keys()], now);
      this.queue.tick(now);
      return success(null);
    }, true);
  }

  private async mutate<T>(change: () => Outcome<T>, alwaysFlush = false): Promise<Outcome<T>> {
    const appendedBefore = this.store.outboxAppended;
    let outcome: Outcome<T>;
    try {
      outcome = this.ctx.storage.transactionSync(change);
    } catch (err) {
      this.queue.drainEmitted();
      throw err;
    }
    this.serveParkedPolls();
    this.watchers.publish(this.queue.drainEmitted(), (jobId) => this.ctx.getWebSockets(jobId));
    // A change with nothing for D1 (a heartbeat, an empty poll) neither waits for other changes'
    // flushes nor re-arms: it can only move deadlines later, and an early alarm is harmless.
    if (this.store.outboxAppended === appendedBefore && !alwaysFlush) return outcome;
    await this.flushOutbox();
    await this.armAlarm();
    return outcome;
  }

  private park(call: MinerCall, maxJobs: number, waitMs: number): Promise<Outcome<AssignedJob[]>> {
    this.parked.get(call.minerId)?.settle(success([]));
    return new Promise((resolve) => {
      const timer = setTimeout(() => poll.settle(success([])), waitMs);
      const poll: ParkedPoll = {
        ownerId: call.ownerId,
        maxJobs,
        settle: (outcome) => {
          clearTimeout(timer);
          if (this.parked.get(call.minerId) === poll) this.parked.delete(call.minerId);
          resolve(outcome);
        },
      };
      this.parked.set(call.minerId, poll);
    });
  }

  private serveParkedPolls(): void {
    for (const [minerId, poll] of this.parked) {
      const leased = this.ctx.storage.transactionSync(() => this.queue.lease({ minerId, ownerId: poll.ownerId }, poll.maxJobs, this.now()));
      if (!leased.ok || leased.value.length > 0) poll.settle(leased);
    }
  }

  private flushOutbox(): Promise<void> {
    this.flushChain = this.flushChain.then(() => this.flushPending());
    return this.flushChain;
  }

  private async flushPending(): Promise<void> {
    for (let batch = this.store.peekOutbox(OUTBOX_BATCH); batch.length > 0; batch = this.store.peekOutbox(OUTBOX_BATCH)) {
      try {
        await writeToD1(
          this.d1,
          batch.map((entry) => entry.write),
        );
      } catch (err) {
        const failures = Number(this.store.getMeta("outbox_failures") ?? 0) + 1;
        this.store.setMeta("outbox_failures", String(failures));
        this.store.setMeta("outbox_retry_at", String(this.now() + outboxRetryDelayMs(failures)));
        console.warn(
          JSON.stringify({ level: "warn", msg: "outbox flush failed; will retry", pending: this.store.outboxSize(), error: String(err) }),
        );
        return;
      }
      this.store.deleteOutboxThrough(batch[batch.length - 1]!.seq);
    }
    if (this.store.getMeta("outbox_failures") !== null) {
      this.store.setMeta("outbox_failures", null);
      this.store.setMeta("outbox_retry_at", null);
    }
  }

  private async armAlarm(): Promise<void> {
    const now = this.now();
    const retryAt = this.store.getMeta("outbox_retry_at");
    const wakeAt = nextWakeAt(
      {
        ...this.store.deadlines(this.config.heartbeatTimeoutSeconds * 1000, this.config.finishedJobRetentionSeconds * 1000, now),
        outboxRetry: retryAt === null ? null : Number(retryAt),
      },
      now,
    );
    const current = await this.ctx.storage.getAlarm();
    if (wakeAt === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else if (current !== wakeAt) {
      await this.ctx.storage.setAlarm(wakeAt);
    }
  }
}
