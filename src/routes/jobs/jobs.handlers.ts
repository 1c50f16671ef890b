import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createDb, type Db } from "../../db/client";
import { selectJob, selectJobs } from "../../db/queries/jobs";
import { latestReceipt, listReceipts } from "../../db/queries/receipts";
import type { JobRow } from "../../db/schema";
import { ApiError, errorBody, zodDetails } from "../../http/errors";
import type { AppEnv } from "../../http/router";
import { isFinal, type JobState } from "../../model/job";
import { currentStateEntries, sendEntries, sseFrame } from "../../queue/job-stream";
import { jobStub } from "../../routing/region-stub";
import { cancelKnownJob } from "./cancel";
import { type JobViewBody, jobView } from "./job-view";
import type * as routes from "./jobs.routes";
import { BatchJobBody } from "./jobs.routes";
import { enqueueSubmission, enqueueSubmissions, type Submission, type SubmitContext } from "./submit";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

function submitContext(c: Context<AppEnv>): SubmitContext {
  return {
    env: c.env,
    db: createDb(c.env.DB),
    config: c.get("config"),
    principal: c.get("principal"),
    cf: c.req.raw.cf as SubmitContext["cf"],
    span: c.get("span"),
  };
}

/** The caller's own job; another client's job answers 404 exactly like a missing one. */
async function ownJob(c: Context<AppEnv>, jobId: string) {
  const job = await selectJob(createDb(c.env.DB), jobId);
  if (!job || job.clientId !== c.get("principal").id) throw new ApiError("JOB_NOT_FOUND", "job not found");
  return job;
}

export const submitJob: Handler<typeof routes.submitJob> = async (c) => {
  const idempotencyKey = c.req.valid("header")["idempotency-key"];
  const { job, replayed } = await enqueueSubmission(submitContext(c), {
    body: c.req.valid("json"),
    received: c.get("receivedJson"),
    idempotencyKey,
  });
  c.set("jobId", job.job_id);
  if (replayed) return c.json(job, 200, { "Idempotent-Replayed": "true" });
  return c.json(job, 201);
};

const refusedItem = (err: ApiError) => ({ status: err.status, error: errorBody(err.code, err.message, err.details) });

export const submitJobBatch: Handler<typeof routes.submitJobBatch> = async (c) => {
  const items: ({ status: number; job: JobViewBody } | ReturnType<typeof refusedItem>)[] = [];
  const submissions: Submission[] = [];
  const submittedAt: number[] = [];
  // The envelope passed its schema, so what was received is {jobs: [object, ...]}.
  const received = (c.get("receivedJson") as { jobs: Record<string, unknown>[] }).jobs;
  for (const [index, receivedJob] of received.entries()) {
    const parsed = BatchJobBody.safeParse(receivedJob);
    if (!parsed.success) {
      items[index] = refusedItem(new ApiError("INVALID_PAYLOAD", `invalid job at index ${index}`, zodDetails(parsed.error)));
      continue;
    }
    const { idempotency_key: key, ...body } = parsed.data;
    const { idempotency_key: _, ...receivedBody } = receivedJob;
    submissions.push({ body, received: receivedBody, idempotencyKey: key });
    submittedAt.push(index);
  }
  const answers = await enqueueSubmissions(submitContext(c), submissions);
  answers.forEach((answer, i) => {
    items[submittedAt[i]!] = answer instanceof ApiError ? refusedItem(answer) : { status: answer.replayed ? 200 : 201, job: answer.job };
  });
  return c.json({ items }, 200);
};

export const listJobs: Handler<typeof routes.listJobs> = async (c) => {
  const { state, limit, cursor } = c.req.valid("query");
  const page = await selectJobs(createDb(c.env.DB), { clientId: c.get("principal").id, state }, limit, cursor);
  return c.json({ items: page.items.map(jobView), next_cursor: page.nextCursor }, 200);
};

export const getJob: Handler<typeof routes.getJob> = async (c) => {
  return c.json(jobView(await ownJob(c, c.req.valid("param").job_id)), 200);
};

export const getJobResult: Handler<typeof routes.getJobResult> = async (c) => {
  const job = await ownJob(c, c.req.valid("param").job_id);
  if (job.state === "COMPLETED") {
    return c.json({ result: job.result ?? {}, receipt: await latestReceipt(createDb(c.env.DB), job.jobId) }, 200);
  }
  if (!isFinal(job.state as JobState)) throw new ApiError("JOB_NOT_READY", `job is ${job.state}; try again later`);
  throw new ApiError("CONFLICT_STATE", `job ended ${job.state} without a result`, [
    { field: "state", issue: job.state },
    ...(job.error ? [{ field: "error", issue: `${job.error.code}: ${job.error.message}` }] : []),
  ]);
};

export const cancelJob: Handler<typeof routes.cancelJob> = async (c) => {
  const job = await ownJob(c, c.req.valid("param").job_id);
  return c.json(await cancelKnownJob(c.env, c.get("config"), job, c.get("span")), 200);
};

export const getJobReceipt: Handler<typeof routes.getJobReceipt> = async (c) => {
  const job = await ownJob(c, c.req.valid("param").job_id);
  const receipt = await latestReceipt(createDb(c.env.DB), job.jobId);
  if (!receipt) throw new ApiError("RECEIPT_NOT_FOUND", "no receipt has been issued for this job");
  return c.json(receipt, 200);
};

export const listJobReceipts: Handler<typeof routes.listJobReceipts> = async (c) => {
  const job = await ownJob(c, c.req.valid("param").job_id);
  return c.json(await receiptPage(createDb(c.env.DB), job.jobId, c.req.valid("query")), 200);
};

/** A page of a job's receipts, oldest first; a job with none is RECEIPT_NOT_FOUND. Its client's and the admin route share it. */
export async function receiptPage(db: Db, jobId: string, { limit, cursor }: { limit: number; cursor?: string | undefined }) {
  const page = await listReceipts(db, jobId, limit, cursor);
  if (page.items.length === 0 && !cursor) throw new ApiError("RECEIPT_NOT_FOUND", "no receipt has been issued for this job");
  return { items: page.items, next_cursor: page.nextCursor };
}

export const jobEvents: Handler<typeof routes.jobEvents> = async (c) => {
  const job = await ownJob(c, c.req.valid("param").job_id);
  // Last-Event-ID is where an EventSource got to before it reconnected: later than the `after` of its URL.
  return followJob(c, job, c.req.valid("header")["last-event-id"] ?? c.req.valid("query").after);
};

/** A job's event stream (or WebSocket) from `after` on; its client's and the admin route share it. */
export async function followJob(c: Context<AppEnv>, job: JobRow, after: number | undefined): Promise<Response> {
  const region = jobStub(c.env, c.get("config"), job);
  if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
    const query = new URLSearchParams({
      job_id: job.jobId,
      client_id: job.clientId,
      ...(after === undefined ? {} : { after: String(after) }),
    });
    const upgraded = await region.fetch(new Request(`https://region/watch?${query}`, { headers: { Upgrade: "websocket" } }));
    return upgraded.status === 101 ? upgraded : finishedJobSocket(job);
  }
  const outcome = await region.watch(job.jobId, job.clientId, after);
  // A finished job the DO has already forgotten: D1 knows its final state (its event stream is gone).
  const stream = outcome.ok ? outcome.value : new Blob(forgottenJobEntries(job).map(sseFrame)).stream();
  return new Response(stream, {
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
  });
}

type ForgottenJob = { jobId: string; state: string; updatedAt: number };

/** The final state of a job its region has already forgotten, without an id: its event stream went with it. */
const forgottenJobEntries = (job: ForgottenJob) => currentStateEntries(job.jobId, job.state as JobState, job.updatedAt, null);

/** A WebSocket that tells the final state of a job its region has already forgotten, then closes. */
function finishedJobSocket(job: ForgottenJob): Response {
  const [client, server] = Object.values(new WebSocketPair());
  server!.accept();
  sendEntries(server!, forgottenJobEntries(job), true);
  return new Response(null, { status: 101, webSocket: client });
}
