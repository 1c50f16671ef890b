// DO domain objects → the D1 rows the outbox writes. One mapping per table, used nowhere else.
import type { JobEventRow, JobRow, MinerRow, ReceiptRow, WorkerSessionRow } from "../db/schema";
import type { Job, JobEvent } from "../model/job";
import type { Miner } from "../model/miner";
import type { Receipt } from "../model/receipt";

export function jobRow(job: Job): Omit<JobRow, "payload"> {
  return {
    jobId: job.jobId,
    clientId: job.clientId,
    region: job.region,
    state: job.state,
    priority: job.priority,
    constraints: job.constraints as Record<string, unknown>,
    result: job.result,
    error: job.error,
    ttlSeconds: job.ttlSeconds,
    maxAttempts: job.maxAttempts,
    attempts: job.attempts,
    assignedMinerId: job.minerId,
    leaseId: job.leaseId,
    requestedAt: job.requestedAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    expiresAt: job.expiresAt,
    updatedAt: job.updatedAt,
    version: job.version,
    queuedRegion: job.queuedRegion ?? job.region,
    queuedShard: job.queuedShard ?? 0,
    ranRegion: job.ranRegion ?? null,
    traceId: job.traceId ?? null,
  };
}

export function eventRow(event: JobEvent): JobEventRow {
  return { ...event };
}

/**
 * The worker_sessions rows of a job step: a step into RUNNING opens its lease's session, a step out
 * of RUNNING closes the session of the lease it ends, named by the step that ended it.
 */
export function sessionRows(before: Job, after: Job, event: JobEvent): WorkerSessionRow[] {
  const rows: WorkerSessionRow[] = [];
  if (after.state === "RUNNING" && before.state !== "RUNNING") rows.push(sessionRow(after, event.at, null, null));
  if (before.state === "RUNNING" && after.state !== "RUNNING") rows.push(sessionRow(before, before.leaseStartedAt!, event.at, event.type));
  return rows;
}

/** The session of the lease `leased` holds. */
function sessionRow(leased: Job, startedAt: number, endedAt: number | null, exitReason: string | null): WorkerSessionRow {
  return {
    leaseId: leased.leaseId!,
    minerId: leased.minerId!,
    jobId: leased.jobId,
    attempt: leased.attempts + 1,
    startedAt,
    endedAt,
    exitReason,
  };
}

export function minerRow(miner: Miner): MinerRow {
  return {
    minerId: miner.minerId,
    ownerId: miner.ownerId,
    region: miner.region,
    status: miner.status,
    capabilities: miner.capabilities,
    concurrency: miner.concurrency,
    reported: miner.reported,
    registeredAt: miner.registeredAt,
    lastSeenAt: miner.lastSeenAt,
    updatedAt: miner.updatedAt,
    version: miner.version,
  };
}

/** A job's first receipt; admins' re-issues append later ones (seq 2, 3, …). */
export function receiptRow(receipt: Receipt, issuedAt: number): ReceiptRow {
  return { receiptId: receipt.receipt_id, jobId: receipt.job_id, seq: 1, keyId: receipt.signature.key_id, issuedAt, body: receipt };
}
