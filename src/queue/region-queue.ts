// The region's live queue: read rows → decide with the pure state machine and matcher → write
// rows and their outbox entries. Every method is synchronous and runs inside one
// transactionSync of the DO, so a decision and everything it implies commit together.
import { newLeaseId } from "../lib/ids";
import { refuse, success, type Outcome } from "../lib/outcome";
import { toIso } from "../lib/time";
import { leaseTerms } from "../receipts/billing";
import { eventRow, jobRow } from "./d1-rows";
import { fits, pickBest } from "./matcher";
import type { OutboxWrite } from "./outbox";
import { minerNotFound, type MinerBook } from "./miner-book";
import { checkLease, retryBackoffMs, transition, type JobCommand } from "./state-machine";
import type { Store } from "./store";
import type { AssignedJob, Job, JobError, JobEvent, Metrics } from "./types";

export interface QueueSettings {
  heartbeatTimeoutMs: number;
  /** How long after leasing a job a miner's inflight list may leave it out without losing it. */
  leaseGraceMs: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  finishedRetentionMs: number;
}

export interface NewJob {
  jobId: string;
  clientId: string;
  region: string;
  priority: number;
  constraints: Job["constraints"];
  payload: Record<string, unknown>;
  payloadHash: string;
  ttlSeconds: number;
  maxAttempts: number;
}

export type CompletionCheck = { replay: true; receipt: Record<string, unknown> | null } | { replay: false; job: Job };

const MAX_EVENTS_PER_TICK = 500;

export class RegionQueue {
  /** Transitions made since the last drain, for live subscribers; the DO drains after each commit. */
  private emitted: JobEvent[] = [];

  constructor(
    private readonly store: Store,
    private readonly settings: QueueSettings,
    private readonly miners: MinerBook,
  ) {}

  enqueue(input: NewJob, now: number): Outcome<{ job: Job; created: boolean }> {
    const existing = this.store.getJob(input.jobId);
    if (existing) return success({ job: existing, created: false });
    const job: Job = {
      ...input,
      state: "QUEUED",
      attempts: 0,
      minerId: null,
      leaseId: null,
      leaseStartedAt: null,
      leaseExpiresAt: null,
      leaseTerms: null,
      availableAt: now,
      requestedAt: now,
      startedAt: null,
      completedAt: null,
      expiresAt: now + input.ttlSeconds * 1000,
      updatedAt: now,
      result: null,
      resultHash: null,
      receipt: null,
      error: null,
      version: 1,
      eventSeq: 1,
    };
    this.store.putJob(job);
    this.store.appendOutbox([
      { kind: "job", row: jobRow(job), payload: job.payload },
      {
        kind: "event",
        row: eventRow({ jobId: job.jobId, seq: 1, type: "submitted", fromState: null, toState: "QUEUED", at: now, minerId: null, leaseId: null, detail: null }),
      },
    ]);
    return success({ job, created: true });
  }

  /**
   * A miner that lists the jobs it holds gives back the ones it does not (a lease whose poll answer
   * never reached it). Only leases older than the grace period, so a job leased a moment ago and not
   * yet in the miner's list is safe. The list can only return work, never claim more.
   */
  releaseUnheld(minerId: string, held: readonly string[], now: number): void {
    const holds = new Set(held);
    for (const job of this.store.runningJobsOf(minerId)) {
      if (holds.has(job.jobId) || (job.leaseStartedAt ?? now) > now - this.settings.leaseGraceMs) continue;
      this.apply(job, { type: "lose_lease", reason: `miner ${minerId} reported it does not hold the job` }, now);
    }
  }

  /** A miner moved to another region: its leases here are lost and it is forgotten. */
  retire(minerId: string, now: number): void {
    for (const job of this.store.runningJobsOf(minerId)) {
      this.apply(job, { type: "lose_lease", reason: "miner re-registered in another region" }, now);
    }
    this.miners.forget(minerId);
  }

  /** Leases up to maxJobs fitting jobs to the miner, never beyond its concurrency. */
  lease(minerId: string, ownerId: string, maxJobs: number, now: number): Outcome<AssignedJob[]> {
    const miner = this.miners.owned(minerId, ownerId);
    if (!miner) return minerNotFound();
    const live = this.miners.touch(miner, now);
    if (live.status !== "ONLINE") return success([]);
    const room = Math.min(maxJobs, live.concurrency - this.store.countRunning(minerId));
    const classes = this.store.queueClasses().filter((c) => fits(c.constraints, live));
    const assigned: AssignedJob[] = [];
    const terms = leaseTerms(live.capabilities);
    for (let i = 0; i < room; i++) {
      const next = pickBest(classes.map((c) => this.store.headOfClass(c.classKey, now)).filter((j): j is Job => j !== null));
      if (!next) break;
      const leased = this.apply(next, { type: "lease", minerId, leaseId: newLeaseId(), leaseExpiresAt: now + this.settings.heartbeatTimeoutMs, terms }, now);
      assigned.push(assignedView(leased));
    }
    return success(assigned);
  }

  checkCompletion(minerId: string, ownerId: string, jobId: string, leaseId: string | undefined, resultHash: string, now: number): Outcome<CompletionCheck> {
    const miner = this.miners.owned(minerId, ownerId);
    if (!miner) return minerNotFound();
    const job = this.store.getJob(jobId);
    if (!job) return refuse("JOB_NOT_FOUND", "job not found");
    this.miners.touch(miner, now);
    if (job.state === "COMPLETED" && job.minerId === minerId && (leaseId === undefined || leaseId === job.leaseId)) {
      if (job.resultHash === resultHash) return success({ replay: true, receipt: job.receipt });
      return refuse("CONFLICT_STATE", "job already completed with a different result");
    }
    const lease = checkLease(job, minerId, leaseId);
    return lease.ok ? success({ replay: false, job }) : refuse(lease.code, lease.message);
  }

  complete(
    minerId: string, ownerId: string, jobId: string, leaseId: string | undefined,
    result: Record<string, unknown>, resultHash: string, reported: Metrics, receipt: Record<string, unknown> | null,
    receiptWrites: OutboxWrite[], now: number,
  ): Outcome<{ receipt: Record<string, unknown> | null }> {
    const check = this.checkCompletion(minerId, ownerId, jobId, leaseId, resultHash, now);
    if (!check.ok) return check;
    if (check.value.replay) return success({ receipt: check.value.receipt });
    this.apply(check.value.job, { type: "complete", result, resultHash, receipt, reported }, now);
    this.store.appendOutbox(receiptWrites);
    return success({ receipt });
  }

  fail(minerId: string, ownerId: string, jobId: string, leaseId: string | undefined, error: JobError, retryable: boolean, now: number): Outcome<{ state: Job["state"] }> {
    const miner = this.miners.owned(minerId, ownerId);
    if (!miner) return minerNotFound();
    const job = this.store.getJob(jobId);
    if (!job) return refuse("JOB_NOT_FOUND", "job not found");
    this.miners.touch(miner, now);
    const lease = checkLease(job, minerId, leaseId);
    if (!lease.ok) return refuse(lease.code, lease.message);
    const backoffMs = retryBackoffMs(job.attempts + 1, this.settings.retryBackoffBaseSeconds, this.settings.retryBackoffMaxSeconds);
    const next = this.apply(job, { type: "fail", error, retryable, backoffMs }, now);
    return success({ state: next.state });
  }

  cancel(jobId: string, clientId: string, now: number): Outcome<Job> {
    const job = this.store.getJob(jobId);
    if (!job || job.clientId !== clientId) return refuse("JOB_NOT_FOUND", "job not found");
    if (job.state === "CANCELED") return success(job);
    const tr = transition(job, { type: "cancel" }, now);
    if (!tr.ok) return refuse("CONFLICT_STATE", `job is ${job.state}`, [{ field: "state", issue: job.state }]);
    return success(this.save(job, tr.job, tr.event));
  }

  /** Runs every deadline that is due; safe to call any number of times. */
  tick(now: number): void {
    for (const job of this.store.jobsExpiredBy(now)) this.apply(job, { type: "expire" }, now);
    this.miners.markSilentOffline(now);
    for (const job of this.store.leasesExpiredBy(now).slice(0, MAX_EVENTS_PER_TICK)) {
      this.apply(job, { type: "lose_lease", reason: `no sign of life from miner ${job.minerId} within the heartbeat timeout` }, now);
    }
    this.store.pruneFinishedBefore(now - this.settings.finishedRetentionMs);
    this.store.dropEmptyQueueClasses();
  }

  private apply(job: Job, command: JobCommand, now: number): Job {
    const tr = transition(job, command, now);
    if (!tr.ok) throw new Error(`bug: ${tr.message} (job ${job.jobId})`);
    return this.save(job, tr.job, tr.event);
  }

  drainEmitted(): JobEvent[] {
    const events = this.emitted;
    this.emitted = [];
    return events;
  }

  private save(before: Job, after: Job, event: JobEvent): Job {
    this.emitted.push(event);
    this.store.putJob(after);
    const writes: OutboxWrite[] = [{ kind: "job", row: jobRow(after) }, { kind: "event", row: eventRow(event) }];
    if (after.state === "RUNNING" && before.state !== "RUNNING") {
      writes.push({ kind: "worker_session", row: { leaseId: after.leaseId!, minerId: after.minerId!, jobId: after.jobId, attempt: after.attempts + 1, startedAt: event.at, endedAt: null, exitReason: null } });
    }
    if (before.state === "RUNNING" && after.state !== "RUNNING") {
      writes.push({ kind: "worker_session", row: { leaseId: before.leaseId!, minerId: before.minerId!, jobId: before.jobId, attempt: before.attempts + 1, startedAt: before.leaseStartedAt!, endedAt: event.at, exitReason: event.type } });
      if (event.type === "canceled" || event.type === "expired") this.store.addPendingCancel(before.minerId!, before.jobId);
    }
    this.store.appendOutbox(writes);
    return after;
  }

}

export function assignedView(job: Job): AssignedJob {
  return {
    job_id: job.jobId,
    payload: job.payload,
    constraints: job.constraints,
    lease_id: job.leaseId!,
    lease_expires_at: toIso(job.leaseExpiresAt)!,
    attempt: job.attempts + 1,
    expires_at: toIso(job.expiresAt)!,
  };
}
