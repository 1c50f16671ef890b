// DO domain objects → the D1 rows the outbox writes. One mapping per table, used nowhere else.
import type { JobEventRow, JobRow, MinerRow } from "../db/schema";
import type { Job, JobEvent, Miner } from "./types";

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
  };
}

export function eventRow(event: JobEvent): JobEventRow {
  return { ...event };
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
