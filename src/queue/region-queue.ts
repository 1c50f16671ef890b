// The region's live queue: read rows → decide with the pure state machine and matcher → write
// rows and their outbox entries. Every method is synchronous and runs inside one
// transactionSync of the DO, so a decision and everything it implies commit together.
import type { OutboxWrite } from "../db/writes";
import { newLeaseId } from "../lib/ids";
import { toIso } from "../lib/time";
import { formatTraceparent, newSpanId, type Span } from "../lib/trace-context";
import type { AssignedJob, Job, JobError, JobEvent, Metrics } from "../model/job";
import type { Miner } from "../model/miner";
import type { Receipt } from "../model/receipt";
import { billingFacts, leaseTerms } from "../receipts/billing";
import type { ReceiptFacts } from "../receipts/issuer";
import { eventRow, jobRow, sessionRows } from "./d1-rows";
import { type StreamEntry, stateMessages } from "./job-stream";
import { fits, pickBest } from "./matcher";
import { type MinerBook, minerNotFound } from "./miner-book";
import { activityOf } from "./minute-stats";
import { conflict, type Outcome, refuse, success, tooLarge } from "./outcome";
import { judgePost, MAX_PROGRESS_BYTES_PER_JOB, type ProgressPost, progressMessages } from "./progress";
import { MAX_LEASE_DELIVERIES, readPoll } from "./redelivery";
import type { ShardAddress } from "./shards";
import { checkLease, type JobCommand, type NewJob, newQueuedJob, retryBackoffMs, transition } from "./state-machine";
import type { Store } from "./store";
import { storedBytes } from "./stream-log";

export interface QueueSettings {
  heartbeatTimeoutMs: number;
  /** How long after leasing a job a miner's inflight list may leave it out without losing it. */
  leaseGraceMs: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  finishedRetentionMs: number;
  /** At most this many jobs expire, leases lapse and miners go OFFLINE per tick; the next tick takes the rest. */
  tickLimit: number;
  /** The shard this queue is; jobs record it (queued_region, queued_shard, ran_region). */
  here?: ShardAddress;
}

/** Who is calling: a miner, through the key that registered it. */
export interface MinerCall {
  minerId: string;
  ownerId: string;
  /** The span of the miner's request; the steps it causes are recorded with it. */
  span?: Span;
}

/** A job step as decided, with the trace of the request that caused it when that is not the job's own. */
export interface Decision {
  event: JobEvent;
  causeTraceId: string | null;
}

/** A miner's report on a job it holds; `leaseId` is absent from old miners (AITBC's). */
interface JobReport {
  jobId: string;
  leaseId: string | undefined;
}

export interface Completion extends JobReport {
  result: Record<string, unknown>;
  resultHash: string;
  /** The miner's own metrics, kept as reported; never billed as such. */
  reported: Metrics;
  receipt: Receipt | null;
  /** D1 writes that come with the receipt (its row, its settlement). */
  writes: OutboxWrite[];
}

export interface Failure extends JobReport {
  error: JobError;
  retryable: boolean;
}

export interface Enqueued {
  job: Job;
  created: boolean;
}

/** The answer to a progress post: `duplicate` when its seq was already covered, `canceled` when the miner should stop. */
export interface ProgressAnswer {
  seq: number;
  duplicate: boolean;
  canceled: boolean;
}

export type CompletionCheck = { replay: true; receipt: Receipt | null } | { replay: false; job: Job };

export class RegionQueue {
  /** Stream events stored since the last drain, for live subscribers; the DO drains after each commit. */
  private emitted: StreamEntry[] = [];
  /** Job steps recorded since the last drain, for the DO's log; drained after each commit. */
  private decisions: Decision[] = [];
  /** The span of the request whose change is running; none for the alarm's (each step then gets a span of its own). */
  private cause: Span | undefined;

  constructor(
    private readonly store: Store,
    private readonly settings: QueueSettings,
    private readonly miners: MinerBook,
  ) {}

  /** Runs a change on behalf of a request: the job steps it takes are recorded as spans of that request. */
  causedBy<T>(cause: Span | undefined, change: () => T): T {
    this.cause = cause;
    try {
      return change();
    } finally {
      this.cause = undefined;
    }
  }

  enqueue(input: NewJob, now: number): Outcome<Enqueued> {
    return success(this.enqueueOne(input, now));
  }

  /** Jobs in order; a job id already here (an idempotent retry, or twice in one batch) is answered as it is. */
  enqueueAll(inputs: readonly NewJob[], now: number): Outcome<Enqueued[]> {
    return success(inputs.map((input) => this.enqueueOne(input, now)));
  }

  private enqueueOne(input: NewJob, now: number): Enqueued {
    const existing = this.store.getJob(input.jobId);
    if (existing) return { job: existing, created: false };
    const here = this.settings.here ?? { region: input.region, shard: 0 };
    const job: Job = { ...newQueuedJob(input, now), queuedRegion: here.region, queuedShard: here.shard };
    this.store.putJob(job);
    this.store.stream.begin(job.jobId);
    const submitted = this.record(job, {
      jobId: job.jobId,
      seq: 1,
      type: "submitted",
      fromState: null,
      toState: "QUEUED",
      at: now,
      minerId: null,
      leaseId: null,
      detail: null,
      traceId: null,
      spanId: null,
    });
    this.store.outbox.append([
      { kind: "job", row: jobRow(job), payload: job.payload },
      { kind: "event", row: eventRow(submitted) },
    ]);
    return { job, created: true };
  }

  /**
   * A miner that lists the jobs it holds confirms those leases (they are never redelivered) and gives
   * back the ones it does not hold (a lease whose poll answer never reached it). Only leases older than
   * the grace period, so a job leased a moment ago and not yet in the miner's list is safe. The list
   * can only return work, never claim more.
   */
  releaseUnheld(minerId: string, held: readonly string[], now: number): void {
    const holds = new Set(held);
    for (const job of this.store.runningJobsOf(minerId)) {
      if (holds.has(job.jobId)) {
        if (!job.leaseConfirmed) this.store.putJob({ ...job, leaseConfirmed: true });
        continue;
      }
      if ((job.leaseStartedAt ?? now) > now - this.settings.leaseGraceMs) continue;
      this.apply(job, { type: "lose_lease", reason: `miner ${minerId} reported it does not hold the job` }, now);
    }
  }

  /** A miner moved to another region: its leases here are lost and it is forgotten (answers its row version). */
  retire(minerId: string, now: number): number | null {
    for (const job of this.store.runningJobsOf(minerId)) {
      this.apply(job, { type: "lose_lease", reason: "miner re-registered in another region" }, now);
    }
    return this.miners.forget(minerId);
  }

  /**
   * Answers a poll: first the leases the miner shows it never received (redelivery.ts), then up to
   * maxJobs in all with fitting jobs, never beyond its concurrency. A draining miner gets only its lost
   * leases back; a miner whose poll leaves unclear which of its leases it lacks gets nothing yet.
   */
  lease(call: MinerCall, maxJobs: number, now: number): Outcome<AssignedJob[]> {
    const miner = this.miners.owned(call.minerId, call.ownerId);
    if (!miner) return minerNotFound();
    const live = this.miners.touch(miner, now);
    const held = this.store.runningOf(call.minerId);
    const reading = readPoll(held, live.concurrency, maxJobs);
    if (reading.kind === "unclear") return success([]);
    const assigned = reading.kind === "lost" ? this.redeliver(call.minerId, reading.leases.slice(0, maxJobs), now) : [];
    if (live.status !== "ONLINE") return success(assigned);
    // A redelivery may have given up a lease for good, which frees its slot.
    const running = reading.kind === "lost" ? this.store.countRunning(call.minerId) : held.count;
    const room = Math.min(maxJobs - assigned.length, live.concurrency - running);
    const classes = this.store.queueClasses().filter((c) => fits(c.constraints, live));
    const terms = leaseTerms(live.capabilities);
    for (let i = 0; i < room; i++) {
      const next = pickBest(classes.map((c) => this.store.headOfClass(c.classKey, now)).filter((j): j is Job => j !== null));
      if (!next) break;
      const leaseExpiresAt = now + this.settings.heartbeatTimeoutMs;
      const ranRegion = this.settings.here?.region ?? next.region;
      const leased = this.apply(
        { ...next, ranRegion },
        { type: "lease", minerId: call.minerId, leaseId: newLeaseId(), leaseExpiresAt, terms },
        now,
      );
      assigned.push(assignedView(leased, this.cause));
    }
    return success(assigned);
  }

  /** Hands the miner its lost leases again; one delivered MAX_LEASE_DELIVERIES times is lost instead. */
  private redeliver(minerId: string, lost: readonly Job[], now: number): AssignedJob[] {
    const again: AssignedJob[] = [];
    for (const job of lost) {
      if (job.leaseDeliveries >= MAX_LEASE_DELIVERIES) {
        const reason = `lease sent to miner ${minerId} ${job.leaseDeliveries} times; it kept polling without it`;
        this.apply(job, { type: "lose_lease", reason }, now);
        continue;
      }
      // The poll is a sign of life, and the row is written anyway: the lease shown is a full timeout.
      const redelivered = { ...job, leaseDeliveries: job.leaseDeliveries + 1, leaseExpiresAt: now + this.settings.heartbeatTimeoutMs };
      this.store.putJob(redelivered);
      again.push(assignedView(redelivered, this.cause));
    }
    return again;
  }

  /** Whether a result is taken, replayed or refused; a sign of life of the miner. */
  checkCompletion(call: MinerCall, report: JobReport & { resultHash: string }, now: number): Outcome<CompletionCheck> {
    const named = this.reportedJob(call, report.jobId, now);
    return named.ok ? judgeCompletion(call, named.value, report) : named;
  }

  /** The same verdict as checkCompletion, read only: outside a transaction, before a result is signed. */
  peekCompletion(call: MinerCall, report: JobReport & { resultHash: string }): Outcome<CompletionCheck> {
    const named = this.namedJob(call, report.jobId);
    return named.ok ? judgeCompletion(call, named.value.job, report) : named;
  }

  complete(call: MinerCall, completion: Completion, now: number): Outcome<{ receipt: Receipt | null }> {
    const check = this.checkCompletion(call, completion, now);
    if (!check.ok) return check;
    if (check.value.replay) return success({ receipt: check.value.receipt });
    const { result, resultHash, receipt, reported } = completion;
    this.apply(check.value.job, { type: "complete", result, resultHash, receipt, reported }, now);
    this.store.outbox.append(completion.writes);
    return success({ receipt });
  }

  fail(call: MinerCall, failure: Failure, now: number): Outcome<{ state: Job["state"] }> {
    const named = this.reportedJob(call, failure.jobId, now);
    if (!named.ok) return named;
    const job = named.value;
    const lease = checkLease(job, call.minerId, failure.leaseId);
    if (!lease.ok) return refuse(lease.code, lease.message);
    const backoffMs = retryBackoffMs(job.attempts + 1, this.settings.retryBackoffBaseSeconds, this.settings.retryBackoffMaxSeconds);
    const next = this.apply(job, { type: "fail", error: failure.error, retryable: failure.retryable, backoffMs }, now);
    return success({ state: next.state });
  }

  /**
   * A miner's progress post: stored in the job's stream (never in D1) and published, or answered as a
   * duplicate, or `canceled` when the job ended under this lease. A sign of life, like any miner call.
   */
  progress(call: MinerCall, jobId: string, post: ProgressPost, now: number): Outcome<ProgressAnswer> {
    const miner = this.miners.owned(call.minerId, call.ownerId);
    if (!miner) return minerNotFound();
    const job = this.store.leaseHolder(jobId);
    if (!job) return refuse("JOB_NOT_FOUND", "job not found");
    this.miners.touch(miner, now);
    const head = this.store.stream.head(jobId);
    const entries = this.store.stream.entries(jobId, head, progressMessages(job, post, now));
    const verdict = judgePost(job, call.minerId, post, head, storedBytes(entries));
    const answer = { seq: post.seq, duplicate: false, canceled: false };
    switch (verdict.kind) {
      case "canceled":
        return success({ ...answer, canceled: true });
      case "lease_lost":
        return refuse("LEASE_LOST", verdict.message);
      case "duplicate":
        return success({ ...answer, duplicate: true });
      case "full":
        return tooLarge(
          post.output === undefined ? "progress" : "output",
          `the job's progress events may store at most ${MAX_PROGRESS_BYTES_PER_JOB} bytes; this post would pass that`,
        );
      case "take":
        this.store.stream.store(head, entries, { leaseId: post.leaseId, seq: post.seq });
        this.emitted.push(...entries);
        return success(answer);
    }
  }

  cancel(jobId: string, clientId: string, now: number): Outcome<Job> {
    const job = this.store.getJob(jobId);
    if (!job || job.clientId !== clientId) return refuse("JOB_NOT_FOUND", "job not found");
    if (job.state === "CANCELED") return success(job);
    const tr = transition(job, { type: "cancel" }, now);
    if (!tr.ok) return conflict(`job is ${job.state}`, { on: "state", state: job.state });
    return success(this.save(job, tr.job, tr.event));
  }

  /** Runs every deadline that is due; safe to call any number of times. */
  tick(now: number): void {
    for (const job of this.store.jobsExpiredBy(now, this.settings.tickLimit)) this.apply(job, { type: "expire" }, now);
    this.miners.markSilentOffline(now, this.settings.tickLimit);
    // One verdict per miner: renewing re-dates all of a live miner's due leases at once.
    const alive = new Map<string, boolean>();
    for (const job of this.store.leasesExpiredBy(now, this.settings.tickLimit)) {
      const minerId = job.minerId!;
      if (!alive.has(minerId)) alive.set(minerId, this.miners.renewIfAlive(minerId, now));
      if (alive.get(minerId)) continue;
      this.apply(job, { type: "lose_lease", reason: `no sign of life from miner ${job.minerId} within the heartbeat timeout` }, now);
    }
    this.store.pruneFinishedBefore(now - this.settings.finishedRetentionMs);
    this.store.dropEmptyQueueClasses();
    this.store.sampleDepth(now);
  }

  /** The job a miner reports on, once the miner is known to be the caller's (a sign of life). */
  private reportedJob(call: MinerCall, jobId: string, now: number): Outcome<Job> {
    const named = this.namedJob(call, jobId);
    if (!named.ok) return named;
    this.miners.touch(named.value.miner, now);
    return success(named.value.job);
  }

  /** The job a miner reports on and the calling miner, read only. */
  private namedJob(call: MinerCall, jobId: string): Outcome<{ miner: Miner; job: Job }> {
    const miner = this.miners.owned(call.minerId, call.ownerId);
    if (!miner) return minerNotFound();
    const job = this.store.getJob(jobId);
    return job ? success({ miner, job }) : refuse("JOB_NOT_FOUND", "job not found");
  }

  private apply(job: Job, command: JobCommand, now: number): Job {
    const tr = transition(job, command, now);
    if (!tr.ok) throw new Error(`bug: ${tr.message} (job ${job.jobId})`);
    return this.save(job, tr.job, tr.event);
  }

  drainEmitted(): StreamEntry[] {
    const events = this.emitted;
    this.emitted = [];
    return events;
  }

  drainDecisions(): Decision[] {
    const decisions = this.decisions;
    this.decisions = [];
    return decisions;
  }

  /** A step as the job's history keeps it: in the job's trace, as a span of the request that caused it. */
  private record(job: Job, decided: JobEvent): JobEvent {
    const event = { ...decided, traceId: job.traceId ?? null, spanId: this.cause?.spanId ?? newSpanId() };
    const causeTraceId = this.cause && this.cause.traceId !== event.traceId ? this.cause.traceId : null;
    this.decisions.push({ event, causeTraceId });
    return event;
  }

  private save(before: Job, after: Job, decided: JobEvent): Job {
    const event = this.record(after, decided);
    this.emitted.push(...this.store.stream.appendState(after.jobId, stateMessages(after.jobId, after.state, event.at, event)));
    this.store.putJob(after);
    const activity = activityOf(before, after, event.at);
    if (activity) this.store.minutes.record(activity, event.at);
    // A job canceled or expired while running: the miner's next heartbeat tells it to stop.
    if (before.state === "RUNNING" && (event.type === "canceled" || event.type === "expired"))
      this.store.miners.addPendingCancel(before.minerId!, before.jobId);
    this.store.outbox.append([
      { kind: "job", row: jobRow(after) },
      { kind: "event", row: eventRow(event) },
      ...sessionRows(before, after, event).map((row) => ({ kind: "worker_session" as const, row })),
    ]);
    return after;
  }
}

/** A result for a job the miner holds is taken; the same result again, once taken, is a replay. */
function judgeCompletion(call: MinerCall, job: Job, report: JobReport & { resultHash: string }): Outcome<CompletionCheck> {
  if (job.state === "COMPLETED" && job.minerId === call.minerId && (report.leaseId === undefined || report.leaseId === job.leaseId)) {
    if (job.resultHash === report.resultHash) return success({ replay: true, receipt: job.receipt });
    return conflict("job already completed with a different result", { on: "result" });
  }
  const lease = checkLease(job, call.minerId, report.leaseId);
  return lease.ok ? success({ replay: false, job }) : refuse(lease.code, lease.message);
}

/** A lease as its poll answer shows it; `cause`: the poll's span, which the lease step was recorded with. */
export function assignedView(job: Job, cause: Span | undefined): AssignedJob {
  return {
    job_id: job.jobId,
    payload: job.payload,
    constraints: job.constraints,
    lease_id: job.leaseId!,
    lease_expires_at: toIso(job.leaseExpiresAt)!,
    attempt: job.attempts + 1,
    expires_at: toIso(job.expiresAt)!,
    ...(job.traceId ? { traceparent: formatTraceparent({ traceId: job.traceId, spanId: cause?.spanId ?? newSpanId() }) } : {}),
  };
}

/** What the receipt of a completed job states: the lease's terms and times, never the miner's claims as such. */
export function receiptFactsOf(job: Job, provider: string, reported: Metrics, resultHash: string, completedAt: number): ReceiptFacts {
  return {
    jobId: job.jobId,
    client: job.clientId,
    provider,
    payloadHash: job.payloadHash,
    resultHash,
    billing: billingFacts({
      // Every lease records its terms; were they ever missing, the receipt bills at price 0.
      terms: job.leaseTerms ?? leaseTerms({}),
      leaseStartedAtMs: job.leaseStartedAt ?? completedAt,
      completedAtMs: completedAt,
      maxUnits: job.constraints.max_units,
      reported,
    }),
  };
}
