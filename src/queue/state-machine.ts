// The job lifecycle as one pure function. QUEUED → RUNNING → COMPLETED | FAILED,
// QUEUED | RUNNING → CANCELED | EXPIRED, RUNNING → QUEUED when a lease is lost or a retryable
// failure has attempts left. Final states refuse every command, so nothing can move a job out.
// Every job starts as newQueuedJob makes it.
import type { Job, JobError, JobEvent, JobEventType, JobState, LeaseTerms, Metrics } from "../model/job";
import { isFinal } from "../model/job";
import type { Receipt } from "../model/receipt";

export type JobCommand =
  | { type: "lease"; minerId: string; leaseId: string; leaseExpiresAt: number; terms: LeaseTerms }
  | {
      type: "complete";
      result: Record<string, unknown>;
      resultHash: string;
      receipt: Receipt | null;
      /** The miner's own metrics: kept in the event as reported, never billed as such. */
      reported: Metrics;
    }
  | { type: "fail"; error: JobError; retryable: boolean; backoffMs: number }
  | { type: "lose_lease"; reason: string }
  | { type: "cancel" }
  | { type: "expire" };

/** A submission as the region takes it in. */
export type NewJob = Pick<
  Job,
  "jobId" | "clientId" | "region" | "priority" | "constraints" | "payload" | "payloadHash" | "ttlSeconds" | "maxAttempts" | "traceId"
>;

/** A job that no miner holds: before its first lease, and whenever it goes back to the queue. */
const NO_LEASE = {
  minerId: null,
  leaseId: null,
  leaseStartedAt: null,
  leaseExpiresAt: null,
  leaseTerms: null,
  leaseDeliveries: 0,
  leaseConfirmed: false,
} as const satisfies Partial<Job>;

/** Where every job starts: QUEUED, offered at once, expiring after its TTL. */
export function newQueuedJob(input: NewJob, now: number): Job {
  return {
    ...input,
    state: "QUEUED",
    attempts: 0,
    ...NO_LEASE,
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
}

export type Transition = { ok: true; job: Job; event: JobEvent } | { ok: false; code: "CONFLICT_STATE"; message: string };

const ALLOWED_FROM: Record<JobCommand["type"], readonly JobState[]> = {
  lease: ["QUEUED"],
  complete: ["RUNNING"],
  fail: ["RUNNING"],
  lose_lease: ["RUNNING"],
  cancel: ["QUEUED", "RUNNING"],
  expire: ["QUEUED", "RUNNING"],
};

export function transition(job: Job, command: JobCommand, now: number): Transition {
  if (isFinal(job.state) || !ALLOWED_FROM[command.type].includes(job.state)) {
    return { ok: false, code: "CONFLICT_STATE", message: `cannot ${command.type} a ${job.state} job` };
  }
  const base: Job = { ...job, updatedAt: now, version: job.version + 1, eventSeq: job.eventSeq + 1 };
  const event = (type: JobEventType, next: Job, detail: Record<string, unknown> | null = null): Transition => ({
    ok: true,
    job: next,
    event: {
      jobId: job.jobId,
      seq: next.eventSeq,
      type,
      fromState: job.state,
      toState: next.state,
      at: now,
      minerId: job.minerId ?? next.minerId,
      leaseId: job.leaseId ?? next.leaseId,
      detail,
      // Which trace and span: the queue records that, as it knows who caused the step.
      traceId: null,
      spanId: null,
    },
  });

  switch (command.type) {
    case "lease":
      return event(
        "leased",
        {
          ...base,
          state: "RUNNING",
          minerId: command.minerId,
          leaseId: command.leaseId,
          leaseStartedAt: now,
          leaseExpiresAt: command.leaseExpiresAt,
          leaseTerms: command.terms,
          leaseDeliveries: 1,
          leaseConfirmed: false,
          startedAt: now,
        },
        { attempt: job.attempts + 1 },
      );
    case "complete":
      return event(
        "completed",
        {
          ...base,
          state: "COMPLETED",
          completedAt: now,
          result: command.result,
          resultHash: command.resultHash,
          receipt: command.receipt,
          leaseExpiresAt: null,
          error: null,
        },
        Object.values(command.reported).some((v) => v !== undefined) ? { reported_metrics: command.reported } : null,
      );
    case "fail": {
      const attempts = job.attempts + 1;
      if (command.retryable && attempts < job.maxAttempts) {
        return event(
          "retry_scheduled",
          {
            ...base,
            ...NO_LEASE,
            state: "QUEUED",
            attempts,
            availableAt: now + command.backoffMs,
            error: command.error,
          },
          { error: command.error, retry_at: now + command.backoffMs },
        );
      }
      return event(
        "failed",
        {
          ...base,
          state: "FAILED",
          attempts,
          completedAt: now,
          error: command.error,
          leaseExpiresAt: null,
        },
        { error: command.error, retryable: command.retryable },
      );
    }
    case "lose_lease": {
      const attempts = job.attempts + 1;
      const error = { code: "LEASE_EXPIRED", message: command.reason };
      if (attempts < job.maxAttempts) {
        return event(
          "lease_lost",
          { ...base, ...NO_LEASE, state: "QUEUED", attempts, availableAt: now, error },
          { reason: command.reason },
        );
      }
      return event(
        "failed",
        { ...base, state: "FAILED", attempts, completedAt: now, error, leaseExpiresAt: null },
        { reason: command.reason },
      );
    }
    case "cancel":
      return event("canceled", { ...base, state: "CANCELED", completedAt: now, leaseExpiresAt: null });
    case "expire":
      return event("expired", {
        ...base,
        state: "EXPIRED",
        completedAt: now,
        leaseExpiresAt: null,
        error: { code: "JOB_EXPIRED", message: `job expired after ${job.ttlSeconds} s` },
      });
  }
}

export type LeaseCheck = { ok: true } | { ok: false; code: "LEASE_LOST"; message: string };

/**
 * Fencing: only the current lease holder may report on a job. A miner that sends no lease id
 * (older AITBC miners) is accepted only while the job is leased to it.
 */
export function checkLease(job: Pick<Job, "state" | "minerId" | "leaseId">, minerId: string, leaseId: string | undefined): LeaseCheck {
  if (job.state !== "RUNNING" || job.minerId !== minerId) {
    return { ok: false, code: "LEASE_LOST", message: "job is no longer leased to this miner" };
  }
  if (leaseId !== undefined && leaseId !== job.leaseId) {
    return { ok: false, code: "LEASE_LOST", message: "lease_id is not the job's current lease" };
  }
  return { ok: true };
}

/** Exponential backoff before a failed attempt is offered again: base × 2^(attempt−1), capped. */
export function retryBackoffMs(failedAttempts: number, baseSeconds: number, maxSeconds: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  return Math.min(baseSeconds * 2 ** exponent, maxSeconds) * 1000;
}
