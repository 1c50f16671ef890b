import { createRoute, z } from "@hono/zod-openapi";
import { jsonBody, jsonResponse, keyAuth, openApiErrorResponses } from "../../http/openapi-errors";
import {
  Constraints,
  Cursor,
  checkJsonWithin,
  EventId,
  IdempotencyKey,
  JobParams,
  JobState,
  JobView,
  JsonObject,
  Limit,
  optional,
  Page,
  Receipt,
} from "../../http/schemas";
import { MAX_JSON_DEPTH } from "../../lib/json-limits";

export const SubmitJobBody = z
  .object({
    payload: JsonObject,
    constraints: optional(Constraints),
    ttl_seconds: optional(z.number().int().min(1).max(86_400)),
    priority: optional(z.number().int().min(-100).max(100)),
    max_attempts: optional(z.number().int().min(1).max(10)),
  })
  .strict()
  .openapi("SubmitJob");

/** A job of a batch: a submit body that may carry its own idempotency key. */
export const BatchJobBody = SubmitJobBody.extend({ idempotency_key: IdempotencyKey.optional() });

const IdempotencyHeader = z.object({ "idempotency-key": IdempotencyKey.optional() });
const tags = ["Jobs"];
const security = keyAuth;

export const submitJob = createRoute({
  method: "post",
  path: "/jobs",
  operationId: "submitJob",
  tags,
  security,
  request: { headers: IdempotencyHeader, ...jsonBody(SubmitJobBody) },
  responses: { 201: jsonResponse(JobView, "Job accepted"), 200: jsonResponse(JobView, "Idempotent replay"), ...openApiErrorResponses },
});

const BatchJob = z.record(z.string(), z.unknown()).superRefine(checkJsonWithin(MAX_JSON_DEPTH + 1));

const BatchItemResult = z.object({
  status: z.number().int(),
  job: JobView.optional(),
  error: z
    .object({ code: z.string(), message: z.string(), details: z.array(z.object({ field: z.string(), issue: z.string() })).optional() })
    .optional(),
});

export const submitJobBatch = createRoute({
  method: "post",
  path: "/jobs/batch",
  operationId: "submitJobBatch",
  tags,
  security,
  // Each job is one level above its payload, so a payload at the depth limit still fits.
  request: jsonBody(
    z
      .object({ jobs: z.array(BatchJob).min(1).max(100) })
      .strict()
      .openapi("SubmitJobBatch"),
  ),
  responses: { 200: jsonResponse(z.object({ items: z.array(BatchItemResult) }), "One answer per job, in order"), ...openApiErrorResponses },
});

export const listJobs = createRoute({
  method: "get",
  path: "/jobs",
  operationId: "listJobs",
  tags,
  security,
  request: { query: z.object({ state: JobState.optional(), limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(JobView), "The caller's jobs, newest first"), ...openApiErrorResponses },
});

export const getJob = createRoute({
  method: "get",
  path: "/jobs/{job_id}",
  operationId: "getJob",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(JobView, "The job"), ...openApiErrorResponses },
});

export const getJobResult = createRoute({
  method: "get",
  path: "/jobs/{job_id}/result",
  operationId: "getJobResult",
  tags,
  security,
  request: { params: JobParams },
  responses: {
    200: jsonResponse(z.object({ result: JsonObject, receipt: Receipt.nullable() }), "Result and receipt"),
    ...openApiErrorResponses,
  },
});

export const cancelJob = createRoute({
  method: "post",
  path: "/jobs/{job_id}/cancel",
  operationId: "cancelJob",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(JobView, "Canceled (repeating is harmless)"), ...openApiErrorResponses },
});

export const getJobReceipt = createRoute({
  method: "get",
  path: "/jobs/{job_id}/receipt",
  operationId: "getJobReceipt",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(Receipt, "The latest receipt"), ...openApiErrorResponses },
});

export const listJobReceipts = createRoute({
  method: "get",
  path: "/jobs/{job_id}/receipts",
  operationId: "listJobReceipts",
  tags,
  security,
  request: { params: JobParams, query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(Receipt), "Every receipt issued for the job, oldest first"), ...openApiErrorResponses },
});

export const jobEvents = createRoute({
  method: "get",
  path: "/jobs/{job_id}/events",
  operationId: "streamJobEvents",
  tags,
  security,
  request: {
    params: JobParams,
    query: z.object({
      after: EventId.optional().openapi({
        description:
          "Resume after this event id: every event after it is sent first, then the stream goes on live; 0 sends the job's whole history. Without it (and without Last-Event-ID) the stream starts with the job's current state. The WebSocket way to resume",
        example: "12",
      }),
    }),
    headers: z.object({
      "last-event-id": EventId.optional().openapi({
        description: "As `after` (and taking precedence over it): what an EventSource sends when it reconnects",
        example: "12",
      }),
    }),
  },
  responses: {
    200: {
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            description:
              "Events state.changed, result.ready, job.progress and output.chunk, each with an id (its place in the job's event sequence) and a JSON data line",
          }),
        },
      },
      description:
        "Server-sent events: the current state first (or every event after `after` / Last-Event-ID), then every event live; ends at a final state, or early when the job moves to another shard (reconnect with Last-Event-ID)",
    },
    ...openApiErrorResponses,
  },
});
