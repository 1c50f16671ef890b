// Cancelling a job: one rule for its client's cancel and an admin's, with the same answers and errors.
import type { Config } from "../../config";
import type { JobRow } from "../../db/schema";
import { ApiError } from "../../http/errors";
import type { Span } from "../../lib/trace-context";
import { jobStub } from "../../routing/region-stub";
import { type JobViewBody, jobView, liveJobView } from "./job-view";

/**
 * Cancels the job D1 knows as `job` (the change recorded with `cause`, the request's span): its view
 * once CANCELED, or CONFLICT_STATE naming the state it ended in.
 */
export async function cancelKnownJob(env: Env, config: Config, job: JobRow, cause: Span): Promise<JobViewBody> {
  const outcome = await jobStub(env, config, job).cancel(job.jobId, job.clientId, cause);
  if (outcome.ok) return liveJobView(outcome.value);
  // The DO forgets finished jobs after their retention period; D1 still knows how they ended.
  if (outcome.code === "JOB_NOT_FOUND" && job.state === "CANCELED") return jobView(job);
  const state = outcome.code === "CONFLICT_STATE" && outcome.conflict.on === "state" ? outcome.conflict.state : job.state;
  throw new ApiError("CONFLICT_STATE", `a ${state} job cannot be canceled`, [{ field: "state", issue: state }]);
}
