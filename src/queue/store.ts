// Synchronous reads and writes of the region DO's own SQLite tables, with row ↔ domain mapping.
// Callers run these inside ctx.storage.transactionSync so a decision and its writes
// (including the outbox rows) commit together or not at all.
import type { Constraints, Job } from "../model/job";
import { HandoffRows } from "./handoff-rows";
import { constraintClassKey } from "./matcher";
import { MinerRows } from "./miner-rows";
import { LAST_DEPTH_COLUMNS, type LastDepthRow, lastDepthOf, MinuteLog } from "./minute-log";
import { type Depth, nextDepthSampleAt } from "./minute-stats";
import { OUTBOX_META, Outbox } from "./outbox";
import type { LeaseHolder } from "./progress";
import type { RunningJobs } from "./redelivery";
import { docsOf } from "./sql-docs";
import { StreamLog } from "./stream-log";
import type { Deadlines } from "./timers";

/** How long after its row's time each kind of deadline falls. */
export interface DeadlineTimeouts {
  heartbeatTimeoutMs: number;
  finishedRetentionMs: number;
  handoffRetryMs: number;
}

type DeadlineRow = {
  lease_expiry: number | null;
  job_expiry: number | null;
  backoff_end: number | null;
  oldest_seen: number | null;
  oldest_finished: number | null;
  outbox_retry: number | null;
  oldest_handoff: number | null;
} & LastDepthRow;

/** The states of the jobs the region forgets once FINISHED_JOB_RETENTION has passed (forwarding records too). */
const FORGOTTEN_STATES = "('COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED', 'MOVED')";

export class Store {
  /** Each job's event stream (table job_stream). */
  readonly stream: StreamLog;
  /** The per-minute counts and depth samples of the admin history (tables minute_counts, minute_depths). */
  readonly minutes: MinuteLog;
  /** The D1 writes of committed changes, until D1 has them (table outbox). */
  readonly outbox: Outbox;
  /** Miners, and the cancels each is told of at its next heartbeat (tables miners, pending_cancels). */
  readonly miners: MinerRows;
  /** Jobs handed to other shards and not yet confirmed (table handoffs). */
  readonly handoffs: HandoffRows;

  /**
   * A copy of the queue classes, so polls run no query for them. Only a transaction that throws can
   * make it wrong: forgetUncommitted drops it, with the miners' and the streams' copies.
   */
  private queueClassCopies: Map<string, Constraints> | null = null;

  constructor(private readonly sql: SqlStorage) {
    this.stream = new StreamLog(sql);
    this.minutes = new MinuteLog(sql);
    this.miners = new MinerRows(sql);
    this.handoffs = new HandoffRows(sql);
    this.outbox = new Outbox(sql, { get: (key) => this.getMeta(key), set: (key, value) => this.setMeta(key, value) });
  }

  /** After a transaction rolled back: the copies may hold what it wrote, so they are read again. */
  forgetUncommitted(): void {
    this.miners.forgetCopies();
    this.queueClassCopies = null;
    this.stream.forgetHeads();
  }

  getJob(jobId: string): Job | null {
    const row = this.sql.exec<{ doc: string }>("SELECT doc FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    return row ? (JSON.parse(row.doc) as Job) : null;
  }

  /** Just what a progress post is judged by, without reading the whole job (its payload may be large). */
  leaseHolder(jobId: string): LeaseHolder | null {
    const row = this.sql
      .exec<{ state: LeaseHolder["state"]; miner_id: string | null; lease_id: string | null; attempts: number }>(
        `SELECT json_extract(doc, '$.state') AS state, json_extract(doc, '$.minerId') AS miner_id,
           json_extract(doc, '$.leaseId') AS lease_id, json_extract(doc, '$.attempts') AS attempts
         FROM jobs WHERE job_id = ?`,
        jobId,
      )
      .toArray()[0];
    return row ? { jobId, state: row.state, minerId: row.miner_id, leaseId: row.lease_id, attempts: row.attempts } : null;
  }

  /** A job handed to another shard stays as a forwarding record, state MOVED in its row (never offered). */
  putJob(job: Job): void {
    const classKey = constraintClassKey(job.constraints);
    if (job.state === "QUEUED" && !job.movedTo) this.keepQueueClass(classKey, job.constraints);
    this.sql.exec(
      `INSERT OR REPLACE INTO jobs (job_id, state, priority, requested_at, available_at, expires_at, updated_at,
         class_key, client_id, miner_id, lease_expires_at, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      job.jobId,
      job.movedTo ? "MOVED" : job.state,
      job.priority,
      job.requestedAt,
      job.availableAt,
      job.expiresAt,
      job.updatedAt,
      classKey,
      job.clientId,
      job.minerId,
      job.leaseExpiresAt,
      JSON.stringify(job),
    );
  }

  queueClasses(): { classKey: string; constraints: Constraints }[] {
    return Array.from(this.queueClassMap(), ([classKey, constraints]) => ({ classKey, constraints }));
  }

  private keepQueueClass(classKey: string, constraints: Constraints): void {
    const classes = this.queueClassMap();
    if (classes.has(classKey)) return;
    this.sql.exec("INSERT OR IGNORE INTO queue_classes (class_key, constraints) VALUES (?, ?)", classKey, JSON.stringify(constraints));
    classes.set(classKey, constraints);
  }

  private queueClassMap(): Map<string, Constraints> {
    this.queueClassCopies ??= new Map(
      this.sql
        .exec<{ class_key: string; constraints: string }>("SELECT class_key, constraints FROM queue_classes")
        .toArray()
        .map((r) => [r.class_key, JSON.parse(r.constraints) as Constraints]),
    );
    return this.queueClassCopies;
  }

  /** Whether any queued job is offerable now (straight off the jobs_backoff index). */
  hasOfferableJob(now: number): boolean {
    return this.sql.exec("SELECT 1 FROM jobs WHERE state = 'QUEUED' AND available_at <= ? LIMIT 1", now).toArray().length > 0;
  }

  /** The best offerable job of one queue class, straight off the jobs_queue index; `requestedBy`: only older ones. */
  headOfClass(classKey: string, now: number, requestedBy = now): Job | null {
    const row = this.sql
      .exec<{ doc: string }>(
        `SELECT doc FROM jobs INDEXED BY jobs_queue
         WHERE state = 'QUEUED' AND class_key = ? AND available_at <= ? AND expires_at > ? AND requested_at <= ?
         ORDER BY priority DESC, requested_at, job_id LIMIT 1`,
        classKey,
        now,
        now,
        requestedBy,
      )
      .toArray()[0];
    return row ? (JSON.parse(row.doc) as Job) : null;
  }

  dropEmptyQueueClasses(): void {
    this.sql.exec(
      `DELETE FROM queue_classes WHERE NOT EXISTS
         (SELECT 1 FROM jobs WHERE jobs.class_key = queue_classes.class_key AND state = 'QUEUED')`,
    );
    this.queueClassCopies = null;
  }

  runningJobsOf(minerId: string): Job[] {
    return docsOf<Job>(this.sql, "SELECT doc FROM jobs WHERE state = 'RUNNING' AND miner_id = ?", minerId);
  }

  /** The miner's running jobs counted off the index; the rows are read only if `read` is called. */
  runningOf(minerId: string): RunningJobs {
    return { count: this.countRunning(minerId), read: () => this.runningJobsOf(minerId) };
  }

  /**
   * Moves the leases of the miner's running jobs that expire before `staleBefore` to expire at
   * `leaseExpiresAt`, in place: no row is read or parsed.
   */
  renewLeases(minerId: string, leaseExpiresAt: number, staleBefore: number): void {
    this.sql.exec(
      `UPDATE jobs SET lease_expires_at = ?, doc = json_set(doc, '$.leaseExpiresAt', ?)
         WHERE state = 'RUNNING' AND miner_id = ? AND lease_expires_at < ?`,
      leaseExpiresAt,
      leaseExpiresAt,
      minerId,
      staleBefore,
    );
  }

  /** The ids of the jobs each of these miners runs, by miner (straight off the jobs_running_by_miner index). */
  runningJobIds(minerIds: readonly string[]): Record<string, string[]> {
    const held: Record<string, string[]> = Object.fromEntries(minerIds.map((id) => [id, []]));
    const rows = this.sql.exec<{ job_id: string; miner_id: string }>(
      "SELECT job_id, miner_id FROM jobs WHERE state = 'RUNNING' AND miner_id IN (SELECT value FROM json_each(?)) ORDER BY job_id",
      JSON.stringify(minerIds),
    );
    for (const row of rows) held[row.miner_id]?.push(row.job_id);
    return held;
  }

  countRunning(minerId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE state = 'RUNNING' AND miner_id = ?", minerId).one().n;
  }

  leasesExpiredBy(now: number, limit: number): Job[] {
    return docsOf<Job>(this.sql, "SELECT doc FROM jobs WHERE state = 'RUNNING' AND lease_expires_at <= ? LIMIT ?", now, limit);
  }

  jobsExpiredBy(now: number, limit: number): Job[] {
    return docsOf<Job>(this.sql, "SELECT doc FROM jobs WHERE state IN ('QUEUED', 'RUNNING') AND expires_at <= ? LIMIT ?", now, limit);
  }

  /** Forgets jobs final (or moved away) since `cutoff` or earlier, with their event streams. */
  pruneFinishedBefore(cutoff: number): void {
    this.sql.exec(
      `DELETE FROM job_stream WHERE job_id IN (SELECT job_id FROM jobs WHERE state IN ${FORGOTTEN_STATES} AND updated_at <= ?)`,
      cutoff,
    );
    this.sql.exec(`DELETE FROM jobs WHERE state IN ${FORGOTTEN_STATES} AND updated_at <= ?`, cutoff);
  }

  /** Those of the jobs this shard holds only as forwarding records. */
  movedAway(jobIds: readonly string[]): string[] {
    return this.sql
      .exec<{ job_id: string }>(
        "SELECT job_id FROM jobs WHERE state = 'MOVED' AND job_id IN (SELECT value FROM json_each(?))",
        JSON.stringify(jobIds),
      )
      .toArray()
      .map((r) => r.job_id);
  }

  addToCounter(key: string, n: number): void {
    if (n > 0) this.setMeta(key, String(Number(this.getMeta(key) ?? 0) + n));
  }

  /** What the shard holds now, for admin stats. Counts rows, so it costs O(queue); not on the hot path. */
  shardFigures(now: number) {
    const oldest = this.one("SELECT MIN(requested_at) AS n FROM jobs WHERE state = 'QUEUED'");
    return {
      ...this.depth(),
      onlineMiners: this.one("SELECT COUNT(*) AS n FROM miners WHERE status = 'ONLINE'") ?? 0,
      oldestQueuedAgeSeconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    };
  }

  /** Jobs QUEUED and RUNNING now. Counts rows, so it costs O(queue): admin calls and one alarm a minute only. */
  depth(): Depth {
    return {
      queued: this.one("SELECT COUNT(*) AS n FROM jobs WHERE state = 'QUEUED'") ?? 0,
      running: this.one("SELECT COUNT(*) AS n FROM jobs WHERE state = 'RUNNING'") ?? 0,
    };
  }

  /** Samples the depth when its end-of-minute sample is due (see nextDepthSampleAt), and forgets minutes past the history. */
  sampleDepth(now: number): void {
    const due = nextDepthSampleAt(this.minutes.lastDepth(), this.hasLiveJobs(), now);
    if (due !== null && now >= due) this.minutes.putDepth(now, this.depth());
    this.minutes.prune(now);
  }

  private hasLiveJobs(): boolean {
    return this.sql.exec("SELECT 1 FROM jobs WHERE state IN ('QUEUED', 'RUNNING') LIMIT 1").toArray().length > 0;
  }

  private one(query: string): number | null {
    return this.sql.exec<{ n: number | null }>(query).one().n;
  }

  getMeta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row?.value ?? null;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) this.sql.exec("DELETE FROM meta WHERE key = ?", key);
    else this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  /**
   * The earliest deadline of each kind, in one statement: the DO re-arms its alarm after every change
   * that writes, so this runs once per such change. Every MIN reads one end of a partial index.
   */
  deadlines(timeouts: DeadlineTimeouts, now: number): Deadlines {
    const row = this.sql
      .exec<DeadlineRow>(
        `SELECT
           (SELECT MIN(lease_expires_at) FROM jobs WHERE state = 'RUNNING') AS lease_expiry,
           (SELECT MIN(expires_at) FROM jobs WHERE state IN ('QUEUED', 'RUNNING')) AS job_expiry,
           (SELECT MIN(available_at) FROM jobs WHERE state = 'QUEUED' AND available_at > ?) AS backoff_end,
           (SELECT MIN(last_seen_at) FROM miners WHERE status != 'OFFLINE') AS oldest_seen,
           (SELECT MIN(updated_at) FROM jobs WHERE state IN ('COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED')) AS oldest_finished,
           (SELECT CAST(value AS INTEGER) FROM meta WHERE key = '${OUTBOX_META.retryAt}') AS outbox_retry,
           (SELECT MIN(created_at) FROM handoffs) AS oldest_handoff,
           ${LAST_DEPTH_COLUMNS}`,
        now,
      )
      .one();
    const plus = (t: number | null, ms: number) => (t === null ? null : t + ms);
    return {
      leaseExpiry: row.lease_expiry,
      // Every live job has a TTL, so there is a jobExpiry exactly while the shard holds live jobs.
      jobExpiry: row.job_expiry,
      backoffEnd: row.backoff_end,
      minerTimeout: plus(row.oldest_seen, timeouts.heartbeatTimeoutMs),
      finishedPrune: plus(row.oldest_finished, timeouts.finishedRetentionMs),
      outboxRetry: row.outbox_retry,
      handoffRetry: plus(row.oldest_handoff, timeouts.handoffRetryMs),
      depthSample: nextDepthSampleAt(lastDepthOf(row), row.job_expiry !== null, now),
    };
  }
}
