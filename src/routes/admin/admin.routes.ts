import { z } from "@hono/zod-openapi";
import { apiRoute, jsonResponse, keyAuth } from "../../http/openapi-errors";
import {
  Cursor,
  HistoryPoint,
  JobId,
  JobParams,
  JobState,
  JobView,
  JsonObject,
  Limit,
  MinerId,
  MinerParams,
  MinerStatus,
  Page,
  Receipt,
  SpanId,
  TraceId,
} from "../../http/schemas";
import { jobEventsContract } from "../jobs/jobs.routes";

const tags = ["Admin"];
const security = keyAuth;

export const MinerView = z
  .object({
    miner_id: MinerId,
    owner_id: z.string().openapi({ description: "Principal id of the key that registered it", example: "mnr_4b2e9f1a0c3d5e7f" }),
    region: z.string().openapi({ description: "The region it is registered in", example: "eu-west" }),
    status: MinerStatus,
    capabilities: JsonObject.openapi({
      description: "Its capabilities, as registered",
      example: { gpus: [{ name: "NVIDIA A100-SXM4-80GB", memory_mb: 81920 }], price: 0.002 },
    }),
    concurrency: z.number().int().openapi({ description: "Jobs it runs at once", example: 2 }),
    reported: JsonObject.nullable().openapi({
      description: "Its last heartbeat report {inflight, status, metadata} (in lists up to a minute old); null before its first",
      example: { inflight: 1, status: "busy", metadata: null },
    }),
    registered_at: z.string().openapi({ description: "When it first registered (ISO 8601 UTC)", example: "2026-01-01T11:00:00.000Z" }),
    last_seen_at: z
      .string()
      .openapi({ description: "Its last sign of life (in lists up to a minute old)", example: "2026-01-01T12:00:10.000Z" }),
    held_jobs: z.array(JobId).openapi({
      description: "The ids of the jobs RUNNING on it now, live from its region's Durable Object",
      example: ["3f2a9c1e5b7d4f60a1b2c3d4e5f60718"],
    }),
  })
  .openapi("MinerView", { description: "A miner as admins see it" });

const JobEventView = z
  .object({
    seq: z.number().int().openapi({ description: "The event's number within the job, from 1", example: 2 }),
    type: z.string().openapi({
      description: "submitted, leased, completed, failed, retry_scheduled, lease_lost, canceled or expired",
      example: "leased",
    }),
    from_state: JobState.nullable().openapi({ description: "The state before; null for submitted", example: "QUEUED" }),
    to_state: JobState.openapi({ description: "The state after", example: "RUNNING" }),
    at: z.string().openapi({ description: "When (ISO 8601 UTC)", example: "2026-01-01T12:00:02.000Z" }),
    miner_id: z.string().nullable().openapi({ description: "The miner involved, if any", example: "rig-7" }),
    lease_id: z.string().nullable().openapi({ description: "The lease involved, if any", example: "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d" }),
    detail: JsonObject.nullable().openapi({
      description: "More about the event, e.g. the miner's reported_metrics on completed; null when nothing more",
      example: null,
    }),
    trace_id: TraceId.nullable().openapi({ description: "The job's W3C trace; null for steps recorded before tracing" }),
    span_id: SpanId.nullable().openapi({
      description:
        "The step's span: the span of the request that caused it (its traceparent answer header names it), or a fresh one for a step the coordinator's timers took (expiry, a lapsed lease)",
    }),
  })
  .openapi("JobEvent", { description: "One transition in a job's history" });

const CLIENT_ID = z.string().openapi({ description: "Principal id of the client that submitted the job", example: "cli_8f3a1c2d4e5f6a7b" });
const AdminJobView = JobView.extend({ client_id: CLIENT_ID }).openapi("AdminJobView", { description: "A job, with its client" });
const REGION_FILTER = z.string().max(32).optional().openapi({ description: "Only this region", example: "eu-west" });

const QUEUE_FIGURES = {
  queued: z.number().int().openapi({ description: "Jobs QUEUED", example: 4 }),
  running: z.number().int().openapi({ description: "Jobs RUNNING", example: 2 }),
  online_miners: z.number().int().openapi({ description: "Miners ONLINE", example: 3 }),
  oldest_queued_age_seconds: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "Age of the oldest QUEUED job; null when none", example: 12 }),
};

export const stats = apiRoute({
  method: "get",
  path: "/admin/stats",
  operationId: "adminStats",
  summary: "Totals",
  description: "Jobs by state, miners by status, and queue figures per region (from D1) and per shard (live, asked of each shard).",
  tags,
  security,
  responses: {
    200: jsonResponse(
      z.object({
        jobs: z
          .object({
            total: z.number().int().openapi({ description: "Every job D1 knows", example: 120 }),
            by_state: z.record(JobState, z.number().int().openapi({ description: "Jobs in that state", example: 4 })).openapi({
              description: "Jobs per state, every state (0 for one with none)",
              example: { QUEUED: 4, RUNNING: 0, COMPLETED: 116, FAILED: 0, CANCELED: 0, EXPIRED: 0 },
            }),
            active: z.number().int().openapi({ description: "Jobs not yet in a final state", example: 4 }),
          })
          .openapi({
            description: "Job counts",
            example: { total: 120, by_state: { QUEUED: 4, RUNNING: 0, COMPLETED: 116, FAILED: 0, CANCELED: 0, EXPIRED: 0 }, active: 4 },
          }),
        miners: z
          .object({
            by_status: z.record(MinerStatus, z.number().int().openapi({ description: "Miners with that status", example: 3 })).openapi({
              description: "Miners per status, every status (0 for one with none)",
              example: { ONLINE: 3, DRAINING: 0, OFFLINE: 1 },
            }),
          })
          .openapi({ description: "Miner counts", example: { by_status: { ONLINE: 3, DRAINING: 0, OFFLINE: 1 } } }),
        regions: z
          .array(
            z
              .object({ region: z.string().openapi({ description: "The region", example: "eu-west" }), ...QUEUE_FIGURES })
              .openapi({ description: "One region's figures, from D1" }),
          )
          .openapi({ description: "Per region, counted where jobs are queued now" }),
        shards: z
          .array(
            z
              .object({
                region: z.string().openapi({ description: "The shard's region", example: "eu-west" }),
                shard: z.number().int().openapi({ description: "The shard's number within its region", example: 0 }),
                ...QUEUE_FIGURES,
                spilled_in: z.number().int().openapi({ description: "Jobs it took from other regions since it started", example: 1 }),
                stolen_in: z.number().int().openapi({ description: "Jobs it took from sibling shards since it started", example: 0 }),
                handoffs_pending: z
                  .number()
                  .int()
                  .openapi({ description: "Jobs it handed over that the taker has not confirmed yet", example: 0 }),
              })
              .openapi({ description: "One shard's live figures" }),
          )
          .openapi({ description: "Per shard, live" }),
        spills: z.number().int().openapi({ description: "Jobs moved to another region's miners, since each shard started", example: 1 }),
        steals: z.number().int().openapi({ description: "Jobs moved to a sibling shard's miners", example: 0 }),
        average_job_duration_ms: z
          .number()
          .int()
          .nullable()
          .openapi({ description: "Average duration of completed jobs; null when none", example: 12480 }),
      }),
      "Totals",
    ),
  },
});

export const statsHistory = apiRoute({
  method: "get",
  path: "/admin/stats/history",
  operationId: "adminStatsHistory",
  summary: "Per-minute history",
  description:
    "One point per minute for every configured region, oldest first, ending with the current minute (which shows what happened so far and the queue now). Each shard counts its own job events as they happen and samples its queue at each minute's end (asked of each shard, one call each, kept for 61 minutes); a region's figures are the sums of its shards', its percentiles those of the merged histograms.",
  tags,
  security,
  request: {
    query: z.object({
      minutes: z.coerce
        .number()
        .int()
        .min(1)
        .max(60)
        .default(60)
        .openapi({ description: "How many minutes, 1-60 (default 60)", example: 60 }),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        minutes: z.number().int().openapi({ description: "Points per region", example: 60 }),
        regions: z
          .array(
            z
              .object({
                region: z.string().openapi({ description: "The region", example: "eu-west" }),
                points: z.array(HistoryPoint).openapi({ description: "Exactly `minutes` points, oldest first" }),
              })
              .openapi({ description: "One region's minutes" }),
          )
          .openapi({ description: "Every configured region, in the order of REGIONS" }),
      }),
      "The history",
    ),
  },
  errors: ["INVALID_PAYLOAD"],
});

export const listJobs = apiRoute({
  method: "get",
  path: "/admin/jobs",
  operationId: "adminListJobs",
  summary: "List all jobs",
  description: "Every client's jobs, newest first, filtered, a page at a time.",
  tags,
  security,
  request: {
    query: z.object({
      state: JobState.optional().openapi({ description: "Only jobs in this state", example: "RUNNING" }),
      region: REGION_FILTER,
      client_id: z.string().max(64).optional().openapi({ description: "Only this client's jobs", example: "cli_8f3a1c2d4e5f6a7b" }),
      miner_id: MinerId.optional().openapi({ description: "Only jobs this miner holds or last held", example: "rig-7" }),
      limit: Limit,
      cursor: Cursor,
    }),
  },
  responses: {
    200: jsonResponse(Page(AdminJobView), "Jobs, newest first"),
  },
  errors: ["INVALID_PAYLOAD"],
});

export const getJob = apiRoute({
  method: "get",
  path: "/admin/jobs/{job_id}",
  operationId: "adminGetJob",
  summary: "Get any job, with its history",
  description: "Any client's job, with its payload, its result and every event of its history.",
  tags,
  security,
  request: { params: JobParams },
  responses: {
    200: jsonResponse(
      JobView.extend({
        client_id: CLIENT_ID,
        payload: JsonObject.openapi({
          description: "The work, exactly as the client submitted it",
          example: { prompt: "a lighthouse at dusk" },
        }),
        result: JsonObject.nullable().openapi({
          description: "The result the miner submitted; null unless COMPLETED",
          example: { image_url: "https://example.com/out.png" },
        }),
        events: z.array(JobEventView).openapi({ description: "Its history, oldest first" }),
      }).openapi("AdminJobDetail", { description: "A job, with its client and its history" }),
      "The job and its history",
    ),
  },
  errors: ["JOB_NOT_FOUND"],
  errorMeanings: { JOB_NOT_FOUND: "no job has this id" },
});

export const cancelJob = apiRoute({
  method: "post",
  path: "/admin/jobs/{job_id}/cancel",
  operationId: "adminCancelJob",
  summary: "Cancel any job",
  description:
    "Cancels any client's QUEUED or RUNNING job, exactly as its client's cancel does: a running job's miner hears of it in its next heartbeat, and cancelling a CANCELED job again answers the same view.",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(AdminJobView, "Canceled (repeating is harmless)") },
  errors: ["JOB_NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: {
    JOB_NOT_FOUND: "no job has this id",
    CONFLICT_STATE: "the job is COMPLETED, FAILED or EXPIRED (details name its state)",
  },
});

export const listMiners = apiRoute({
  method: "get",
  path: "/admin/miners",
  operationId: "adminListMiners",
  summary: "List miners",
  description: "Every miner, by miner id, filtered, a page at a time.",
  tags,
  security,
  request: {
    query: z.object({
      status: MinerStatus.optional().openapi({ description: "Only miners with this status", example: "ONLINE" }),
      region: REGION_FILTER,
      limit: Limit,
      cursor: Cursor,
    }),
  },
  responses: { 200: jsonResponse(Page(MinerView), "Miners by id") },
  errors: ["INVALID_PAYLOAD"],
});

export const reissueReceipt = apiRoute({
  method: "post",
  path: "/admin/jobs/{job_id}/receipts",
  operationId: "adminReissueReceipt",
  summary: "Re-issue a job's receipt",
  description:
    "Signs the job's latest receipt again with the current keys (new receipt_id and nonce, same facts) and appends it to the job's history; use it after a key rotation. Creates no new settlement.",
  tags,
  security,
  request: { params: JobParams },
  responses: { 201: jsonResponse(Receipt, "The new receipt, appended to the job's history") },
  errors: ["JOB_NOT_FOUND", "RECEIPT_NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: {
    JOB_NOT_FOUND: "the id is not shaped like a job id (a job without a receipt answers RECEIPT_NOT_FOUND)",
    CONFLICT_STATE: "receipts are disabled, or another re-issue of this receipt happened at the same time",
  },
});

export const listJobReceipts = apiRoute({
  method: "get",
  path: "/admin/jobs/{job_id}/receipts",
  operationId: "adminListJobReceipts",
  summary: "List any job's receipts",
  description: "Every receipt issued for any client's job, re-issues included, oldest first, a page at a time.",
  tags,
  security,
  request: { params: JobParams, query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(Receipt), "Every receipt issued for the job, oldest first") },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND", "RECEIPT_NOT_FOUND"],
  errorMeanings: { RECEIPT_NOT_FOUND: "the job has no receipt (it has not completed, or receipts are disabled)" },
});

export const jobEvents = apiRoute({
  method: "get",
  path: "/admin/jobs/{job_id}/events",
  operationId: "adminStreamJobEvents",
  summary: "Follow any job's state changes, progress and output",
  description:
    "Any client's job's event stream, exactly as its client gets it from GET /v1/jobs/{job_id}/events: a server-sent event stream, or a WebSocket when the request asks to upgrade; the current state first (or every message after `after` / Last-Event-ID; 0 for the whole history), then every change, job.progress and output.chunk, and result.ready; it ends at a final state.",
  tags,
  security,
  ...jobEventsContract,
});

export const drainMiner = apiRoute({
  method: "post",
  path: "/admin/miners/{miner_id}/drain",
  operationId: "adminDrainMiner",
  summary: "Drain a miner",
  description:
    "The miner gets no new work, as when it drains itself: its running jobs finish normally, its polls get nothing new, and its heartbeats answer drain: true. It lasts as the miner's own drain does, until the miner registers again (or goes OFFLINE). Draining a DRAINING miner answers it as it is.",
  tags,
  security,
  request: { params: MinerParams },
  responses: { 200: jsonResponse(MinerView, "The miner, DRAINING (live from its region)") },
  errors: ["MINER_NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: {
    MINER_NOT_FOUND: "no miner has this id",
    CONFLICT_STATE: "the miner is OFFLINE (details: status); it gets no work until it calls in, and then it is ONLINE",
  },
});

export const undrainMiner = apiRoute({
  method: "post",
  path: "/admin/miners/{miner_id}/undrain",
  operationId: "adminUndrainMiner",
  summary: "Undrain a miner",
  description:
    "Ends a drain an admin started: the miner takes work again, ONLINE (or OFFLINE, if it went quiet meanwhile). A drain the miner asked for itself stays until it registers again. An ONLINE or OFFLINE miner is answered as it is.",
  tags,
  security,
  request: { params: MinerParams },
  responses: { 200: jsonResponse(MinerView, "The miner (live from its region)") },
  errors: ["MINER_NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: {
    MINER_NOT_FOUND: "no miner has this id",
    CONFLICT_STATE: "the miner drained itself (details: status DRAINING); it takes work again once it registers again",
  },
});
