import { z } from "@hono/zod-openapi";
import { apiRoute, jsonBody, jsonResponse, keyAuth } from "../../http/openapi-errors";
import {
  Constraints,
  Cursor,
  checkJsonWithin,
  ErrorBody,
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
import type { Same } from "../../lib/same-type";
import type { SentMessage } from "../../queue/job-stream";

export const SubmitJobBody = z
  .object({
    payload: JsonObject.openapi({
      description: "The work, any JSON object; the miner gets it as sent (at most 32 levels deep)",
      example: { prompt: "a lighthouse at dusk", steps: 30 },
    }),
    constraints: optional(Constraints),
    ttl_seconds: optional(z.number().int().min(1).max(86_400)).openapi({
      description: "Seconds until the job expires unless finished, 1-86400; default JOB_TTL_SECONDS (900)",
      example: 900,
    }),
    priority: optional(z.number().int().min(-100).max(100)).openapi({
      description: "-100..100, default 0; higher runs first",
      example: 10,
    }),
    max_attempts: optional(z.number().int().min(1).max(10)).openapi({
      description: "Attempts before the job is FAILED, 1-10, default 3",
      example: 3,
    }),
  })
  .strict()
  .openapi("SubmitJob", { description: "A job to run. Optional members also take null for not set." });

/** A job of a batch: a submit body that may carry its own idempotency key. */
export const BatchJobBody = SubmitJobBody.extend({ idempotency_key: IdempotencyKey.optional() });

const IdempotencyHeader = z.object({ "idempotency-key": IdempotencyKey.optional() });
const tags = ["Jobs"];
const security = keyAuth;

export const submitJob = apiRoute({
  method: "post",
  path: "/jobs",
  operationId: "submitJob",
  summary: "Submit a job",
  description:
    "Queues a job in the region of constraints.region, else the one nearest the caller. With an Idempotency-Key, a retry with the same body replays the first job (200, Idempotent-Replayed: true).",
  tags,
  security,
  request: { headers: IdempotencyHeader, ...jsonBody(SubmitJobBody) },
  responses: {
    201: jsonResponse(JobView, "Job accepted"),
    200: {
      ...jsonResponse(JobView, "Idempotent replay: the job the key made first, as it is now"),
      headers: {
        "Idempotent-Replayed": { description: "Always true on a replay", schema: { type: "string", enum: ["true"], example: "true" } },
      },
    },
  },
  errors: ["INVALID_PAYLOAD", "IDEMPOTENCY_KEY_REUSED"],
});

const BatchJob = z
  .record(z.string(), z.unknown())
  .superRefine(checkJsonWithin(MAX_JSON_DEPTH + 1))
  .openapi({
    description:
      "A job as POST /v1/jobs takes it (see SubmitJob), plus an optional idempotency_key held to the Idempotency-Key rule; each job is checked on its own and answered in its own item",
    example: { payload: { prompt: "a lighthouse at dusk" }, priority: 10, idempotency_key: "order-2026-0001" },
  });

const BatchItemResult = z
  .object({
    status: z.number().int().openapi({ description: "201 created, 200 replayed, or the 4xx this job alone would have got", example: 201 }),
    job: JobView.optional(),
    error: ErrorBody.shape.error.optional().openapi({
      description: "Why this job was refused (INVALID_PAYLOAD or IDEMPOTENCY_KEY_REUSED); absent when status is 200 or 201",
      example: {
        code: "INVALID_PAYLOAD",
        message: "invalid job at index 1",
        details: [{ field: "priority", issue: "Too big: expected number to be <=100" }],
      },
    }),
  })
  .openapi("BatchItemResult", { description: "The answer for one job of a batch: job, or error" });

export const submitJobBatch = apiRoute({
  method: "post",
  path: "/jobs/batch",
  operationId: "submitJobBatch",
  summary: "Submit up to 100 jobs",
  description:
    "Submits each job as POST /v1/jobs would, in one request. The answer is 200 with one item per job, in order; a refused job does not stop the others. Only a malformed envelope is refused as a whole.",
  tags,
  security,
  // Each job is one level above its payload, so a payload at the depth limit still fits.
  request: jsonBody(
    z
      .object({
        jobs: z
          .array(BatchJob)
          .min(1)
          .max(100)
          .openapi({ description: "1 to 100 jobs", example: [{ payload: { prompt: "a lighthouse at dusk" } }] }),
      })
      .strict()
      .openapi("SubmitJobBatch", { description: "Jobs to submit together" }),
  ),
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(BatchItemResult).openapi({ description: "One answer per job, in the order sent" }) }),
      "One answer per job, in order",
    ),
  },
  errors: ["INVALID_PAYLOAD"],
});

export const listJobs = apiRoute({
  method: "get",
  path: "/jobs",
  operationId: "listJobs",
  summary: "List your jobs",
  description: "The caller's jobs, newest first, a page at a time.",
  tags,
  security,
  request: {
    query: z.object({
      state: JobState.optional().openapi({ description: "Only jobs in this state", example: "RUNNING" }),
      limit: Limit,
      cursor: Cursor,
    }),
  },
  responses: { 200: jsonResponse(Page(JobView), "The caller's jobs, newest first") },
  errors: ["INVALID_PAYLOAD"],
});

export const getJob = apiRoute({
  method: "get",
  path: "/jobs/{job_id}",
  operationId: "getJob",
  summary: "Get a job",
  description: "One of the caller's jobs, as it is now.",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(JobView, "The job") },
  errors: ["JOB_NOT_FOUND"],
});

export const getJobResult = apiRoute({
  method: "get",
  path: "/jobs/{job_id}/result",
  operationId: "getJobResult",
  summary: "Get a job's result",
  description: "The result the miner submitted and the job's latest receipt, once the job is COMPLETED.",
  tags,
  security,
  request: { params: JobParams },
  responses: {
    200: jsonResponse(
      z.object({
        result: JsonObject.openapi({
          description: "The result, as the miner submitted it",
          example: { image_url: "https://example.com/out.png" },
        }),
        receipt: Receipt.nullable().openapi({ description: "The latest receipt; null when receipts are disabled" }),
      }),
      "Result and receipt",
    ),
  },
  errors: ["JOB_NOT_FOUND", "JOB_NOT_READY", "CONFLICT_STATE"],
  errorMeanings: {
    JOB_NOT_READY: "the job is QUEUED or RUNNING; ask again later",
    CONFLICT_STATE: "the job ended FAILED, CANCELED or EXPIRED, without a result (details name its state and error)",
  },
});

export const cancelJob = apiRoute({
  method: "post",
  path: "/jobs/{job_id}/cancel",
  operationId: "cancelJob",
  summary: "Cancel a job",
  description:
    "Cancels a QUEUED or RUNNING job; a running job's miner hears of it in its next heartbeat. Cancelling a CANCELED job again answers the same view.",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(JobView, "Canceled (repeating is harmless)") },
  errors: ["JOB_NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: { CONFLICT_STATE: "the job is COMPLETED, FAILED or EXPIRED (details name its state)" },
});

export const getJobReceipt = apiRoute({
  method: "get",
  path: "/jobs/{job_id}/receipt",
  operationId: "getJobReceipt",
  summary: "Get a job's latest receipt",
  description: "The latest receipt issued for the job (a re-issue after a key rotation is newer than the first).",
  tags,
  security,
  request: { params: JobParams },
  responses: { 200: jsonResponse(Receipt, "The latest receipt") },
  errors: ["JOB_NOT_FOUND", "RECEIPT_NOT_FOUND"],
});

export const listJobReceipts = apiRoute({
  method: "get",
  path: "/jobs/{job_id}/receipts",
  operationId: "listJobReceipts",
  summary: "List a job's receipts",
  description: "Every receipt issued for the job, oldest first, a page at a time.",
  tags,
  security,
  request: { params: JobParams, query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(Receipt), "Every receipt issued for the job, oldest first") },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND", "RECEIPT_NOT_FOUND"],
});

const JOB_ID_EXAMPLE = "3f2a9c1e5b7d4f60a1b2c3d4e5f60718";
const streamId = z.number().int().min(1).optional().openapi({
  description:
    "The message's place in the job's one event sequence, from 1 (the SSE id line carries the same number); resume after it with `after` or Last-Event-ID. Absent only for a finished job its region has already forgotten",
  example: 3,
});
const streamJobId = z.string().openapi({ description: "The job", example: JOB_ID_EXAMPLE });
const streamAt = z.string().openapi({ description: "When it happened (ISO 8601 UTC)", example: "2026-01-01T12:00:02.000Z" });
const postAttempt = z.number().int().openapi({ description: "The attempt whose miner posted it", example: 1 });
const postSeq = z.number().int().openapi({ description: "The miner's seq of the post", example: 4 });

const StateStreamEvent = z.object({
  id: streamId,
  type: z.enum(["state.changed", "result.ready"]).openapi({
    description: "state.changed: the job is in (or entered) state; result.ready: it completed and its result can be read",
    example: "state.changed",
  }),
  job_id: streamJobId,
  state: JobState,
  at: streamAt,
  event: z.string().optional().openapi({
    description:
      "The transition that led here (submitted, leased, completed, failed, retry_scheduled, lease_lost, canceled, expired); absent on the first message",
    example: "leased",
  }),
  miner_id: z.string().nullable().optional().openapi({ description: "The miner involved in the transition, if any", example: "rig-7" }),
});

const ProgressStreamEvent = z.object({
  id: streamId,
  type: z.literal("job.progress").openapi({ description: "The miner posted progress and/or a message", example: "job.progress" }),
  job_id: streamJobId,
  at: streamAt,
  attempt: postAttempt,
  seq: postSeq,
  progress: z.number().nullable().openapi({ description: "How far the job is, 0 … 1, if the miner said", example: 0.4 }),
  message: z.string().nullable().openapi({ description: "The miner's message, if any", example: "step 4 of 10" }),
});

const ChunkStreamEvent = z.object({
  id: streamId,
  type: z.literal("output.chunk").openapi({ description: "The next piece of the job's output", example: "output.chunk" }),
  job_id: streamJobId,
  at: streamAt,
  attempt: postAttempt,
  seq: postSeq,
  data: z.string().openapi({ description: "The output text, as the miner posted it", example: "Once upon a time" }),
});

/** One message of a job's event stream: the data of a server-sent event, or a WebSocket text message. */
export const JobStreamEvent = z.union([StateStreamEvent, ProgressStreamEvent, ChunkStreamEvent]).openapi("JobStreamEvent", {
  description:
    "One message of GET /v1/jobs/{job_id}/events: first a state.changed with the job's current state (or every message after `after`), then one per transition, job.progress and output.chunk as the miner posts, and result.ready after COMPLETED",
});
true satisfies Same<z.output<typeof JobStreamEvent>, SentMessage>;

const SSE_EXAMPLE = `id: 1
event: state.changed
data: {"id":1,"type":"state.changed","job_id":"${JOB_ID_EXAMPLE}","state":"QUEUED","at":"2026-01-01T12:00:00.000Z","event":"submitted"}

id: 2
event: state.changed
data: {"id":2,"type":"state.changed","job_id":"${JOB_ID_EXAMPLE}","state":"RUNNING","at":"2026-01-01T12:00:02.000Z","event":"leased","miner_id":"rig-7"}

id: 3
event: job.progress
data: {"id":3,"type":"job.progress","job_id":"${JOB_ID_EXAMPLE}","at":"2026-01-01T12:00:05.000Z","attempt":1,"seq":1,"progress":0.5,"message":null}

id: 4
event: output.chunk
data: {"id":4,"type":"output.chunk","job_id":"${JOB_ID_EXAMPLE}","at":"2026-01-01T12:00:05.000Z","attempt":1,"seq":1,"data":"Once upon a time"}

id: 5
event: state.changed
data: {"id":5,"type":"state.changed","job_id":"${JOB_ID_EXAMPLE}","state":"COMPLETED","at":"2026-01-01T12:00:14.000Z","event":"completed","miner_id":"rig-7"}

id: 6
event: result.ready
data: {"id":6,"type":"result.ready","job_id":"${JOB_ID_EXAMPLE}","state":"COMPLETED","at":"2026-01-01T12:00:14.000Z"}

`;

const JOB_EVENTS_DESCRIPTION =
  "A server-sent event stream (text/event-stream), or a WebSocket when the request asks to upgrade to one. Both carry the same JSON messages (JobStreamEvent), each with its id in the job's one sequence: the job's current state first (or every message after `after` / Last-Event-ID), then every change, the miner's job.progress and output.chunk, and result.ready when it completes. The stream ends, and the socket closes with 1000, when the job reaches a final state (at once for a job that already has). Messages a client sends on the socket are ignored.";

/** What following a job's events takes and answers, for its client and (any job) for admins. */
export const jobEventsContract = {
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
      upgrade: z.string().optional().openapi({
        description: "websocket (with the other WebSocket handshake headers) opens a WebSocket instead of an event stream",
        example: "websocket",
      }),
    }),
  },
  responses: {
    200: {
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            description:
              "Server-sent events: each has an id line (its place in the job's event sequence), an event line (state.changed, result.ready, job.progress or output.chunk) and a data line holding one JobStreamEvent as JSON",
            example: SSE_EXAMPLE,
          }),
        },
      },
      description:
        "Server-sent events: the current state first (or every event after `after` / Last-Event-ID), then every event live; ends at a final state, or early when the job moves to another shard (reconnect with Last-Event-ID)",
    },
    101: {
      description:
        "Switching Protocols: a WebSocket whose text messages are JobStreamEvent JSON, the same as the event stream's data lines; closed with 1000 after the final state",
    },
  },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND"],
  errorMeanings: { INVALID_PAYLOAD: "after or Last-Event-ID is not a whole number (0 or more)" },
} as const;

export const jobEvents = apiRoute({
  method: "get",
  path: "/jobs/{job_id}/events",
  operationId: "streamJobEvents",
  summary: "Follow a job's state changes, progress and output",
  description: JOB_EVENTS_DESCRIPTION,
  tags,
  security,
  ...jobEventsContract,
});
