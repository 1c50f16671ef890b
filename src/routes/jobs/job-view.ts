import type { z } from "@hono/zod-openapi";
import type { JobRow } from "../../db/schema";
import type { JobView } from "../../http/schemas";
import { toIso } from "../../lib/time";
import type { Job, JobState } from "../../model/job";
import { jobRow } from "../../queue/d1-rows";

export type JobViewBody = z.infer<typeof JobView>;

/** The one wire view of a job, from a D1 row or (converted) from the DO's live record. */
export function jobView(row: Omit<JobRow, "payload">): JobViewBody {
  return {
    job_id: row.jobId,
    state: row.state as JobState,
    priority: row.priority,
    region: row.region,
    constraints: row.constraints,
    assigned_miner_id: row.assignedMinerId,
    attempts: row.attempts,
    max_attempts: row.maxAttempts,
    requested_at: toIso(row.requestedAt)!,
    started_at: toIso(row.startedAt),
    completed_at: toIso(row.completedAt),
    expires_at: toIso(row.expiresAt)!,
    error: row.error ?? null,
    queued_region: row.queuedRegion ?? row.region,
    queued_shard: row.queuedShard ?? 0,
    ran_region: row.ranRegion ?? null,
    trace_id: row.traceId ?? null,
  };
}

export const liveJobView = (job: Job): JobViewBody => jobView(jobRow(job));
