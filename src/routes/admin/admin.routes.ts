import { createRoute, z } from "@hono/zod-openapi";
import { jsonResponse, keyAuth, openApiErrorResponses } from "../../http/openapi-errors";
import { Cursor, JobParams, JobState, JobView, JsonObject, Limit, MinerId, MinerStatus, Page, Receipt } from "../../http/schemas";

const tags = ["Admin"];
const security = keyAuth;

export const MinerView = z
  .object({
    miner_id: MinerId,
    owner_id: z.string(),
    region: z.string(),
    status: MinerStatus,
    capabilities: JsonObject,
    concurrency: z.number().int(),
    reported: JsonObject.nullable(),
    registered_at: z.string(),
    last_seen_at: z.string(),
  })
  .openapi("MinerView");

const JobEventView = z.object({
  seq: z.number().int(),
  type: z.string(),
  from_state: JobState.nullable(),
  to_state: JobState,
  at: z.string(),
  miner_id: z.string().nullable(),
  lease_id: z.string().nullable(),
  detail: JsonObject.nullable(),
});

export const stats = createRoute({
  method: "get",
  path: "/admin/stats",
  operationId: "adminStats",
  tags,
  security,
  responses: {
    200: jsonResponse(
      z.object({
        jobs: z.object({ total: z.number().int(), by_state: z.record(JobState, z.number().int()), active: z.number().int() }),
        miners: z.object({ by_status: z.record(MinerStatus, z.number().int()) }),
        regions: z.array(
          z.object({
            region: z.string(),
            queued: z.number().int(),
            running: z.number().int(),
            online_miners: z.number().int(),
            oldest_queued_age_seconds: z.number().int().nullable(),
          }),
        ),
        shards: z.array(
          z.object({
            region: z.string(),
            shard: z.number().int(),
            queued: z.number().int(),
            running: z.number().int(),
            online_miners: z.number().int(),
            oldest_queued_age_seconds: z.number().int().nullable(),
            spilled_in: z.number().int(),
            stolen_in: z.number().int(),
            handoffs_pending: z.number().int(),
          }),
        ),
        spills: z.number().int().openapi({ description: "Jobs moved to another region's miners, since each shard started" }),
        steals: z.number().int().openapi({ description: "Jobs moved to a sibling shard's miners" }),
        average_job_duration_ms: z.number().int().nullable(),
      }),
      "Totals",
    ),
    ...openApiErrorResponses,
  },
});

export const listJobs = createRoute({
  method: "get",
  path: "/admin/jobs",
  operationId: "adminListJobs",
  tags,
  security,
  request: {
    query: z.object({
      state: JobState.optional(),
      region: z.string().max(32).optional(),
      client_id: z.string().max(64).optional(),
      miner_id: MinerId.optional(),
      limit: Limit,
      cursor: Cursor,
    }),
  },
  responses: {
    200: jsonResponse(Page(JobView.extend({ client_id: z.string() })), "Jobs, newest first"),
    ...openApiErrorResponses,
  },
});

export const getJob = createRoute({
  method: "get",
  path: "/admin/jobs/{job_id}",
  operationId: "adminGetJob",
  tags,
  security,
  request: { params: JobParams },
  responses: {
    200: jsonResponse(JobView.extend({ client_id: z.string(), events: z.array(JobEventView) }), "The job and its history"),
    ...openApiErrorResponses,
  },
});

export const listMiners = createRoute({
  method: "get",
  path: "/admin/miners",
  operationId: "adminListMiners",
  tags,
  security,
  request: { query: z.object({ status: MinerStatus.optional(), region: z.string().max(32).optional(), limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(MinerView), "Miners by id"), ...openApiErrorResponses },
});

export const reissueReceipt = createRoute({
  method: "post",
  path: "/admin/jobs/{job_id}/receipts",
  operationId: "adminReissueReceipt",
  tags,
  security,
  request: { params: JobParams },
  responses: { 201: jsonResponse(Receipt, "The new receipt, appended to the job's history"), ...openApiErrorResponses },
});
