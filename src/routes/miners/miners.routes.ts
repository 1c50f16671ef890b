import { createRoute, z } from "@hono/zod-openapi";
import { errorResponsesOf, jsonBody, jsonResponse, keyAuth, openApiErrorResponses } from "../../http/openapi-errors";
import {
  AssignedJob,
  checkJson,
  JobId,
  JobParams,
  JobState,
  JsonObject,
  LeaseId,
  MinerId,
  optional,
  ProgressAnswer,
  ProgressBody,
  Receipt,
} from "../../http/schemas";
import type { Same } from "../../lib/same-type";
import type { Metrics as MetricsShape } from "../../model/job";
import type { Capabilities as CapabilitiesShape } from "../../model/miner";
import { MAX_PROGRESS_BYTES_PER_JOB } from "../../queue/progress";

const tags = ["Miners"];
const security = keyAuth;
const MinerHeader = z.object({ "x-miner-id": MinerId.optional() });

const Capabilities = z
  .object({
    gpus: optional(
      z
        .array(
          z.object({ name: z.string().min(1).max(128), memory_mb: z.number().nonnegative().max(1e7).nullable() }).catchall(z.unknown()),
        )
        .max(64),
    ),
    cuda: optional(z.string().regex(/^\d+(\.\d+){0,3}$/, "must look like 12 or 12.3")),
    models: optional(z.array(z.string().min(1).max(256)).max(1024)),
    price: optional(z.number().nonnegative().max(1e12)),
  })
  .catchall(z.unknown())
  .superRefine(checkJson)
  .openapi("Capabilities");
true satisfies Same<z.output<typeof Capabilities>, CapabilitiesShape>;

export const RegisterBody = z
  .object({
    capabilities: optional(Capabilities),
    concurrency: optional(z.number().int().min(1).max(64)),
    region: optional(z.string().min(1).max(32)),
    miner_id: optional(MinerId),
  })
  .strict()
  .openapi("RegisterMiner");

const Metrics = z
  .object({
    units: optional(z.number().nonnegative().max(1e15)),
    unit_type: optional(z.string().min(1).max(64)),
    price: optional(z.number().nonnegative().max(1e15)),
    duration_ms: optional(z.number().int().nonnegative().max(1e13)),
  })
  // Other members are accepted and ignored: AITBC's miner reports e.g. {"workspace": "/path"}.
  .openapi("Metrics");
true satisfies Same<z.output<typeof Metrics>, MetricsShape>;

export const register = createRoute({
  method: "post",
  path: "/miners/register",
  operationId: "registerMiner",
  tags,
  security,
  request: jsonBody(RegisterBody),
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok"),
        miner_id: MinerId,
        session_token: z.string(),
        region: z.string(),
        heartbeat_interval_seconds: z.number().int(),
        heartbeat_timeout_seconds: z.number().int(),
      }),
      "Registered (again)",
    ),
    ...openApiErrorResponses,
  },
});

export const heartbeat = createRoute({
  method: "post",
  path: "/miners/heartbeat",
  operationId: "minerHeartbeat",
  tags,
  security,
  request: {
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({
          inflight: optional(z.union([z.number().int().nonnegative().max(1e6), z.array(z.string().max(64)).max(1024)])),
          status: optional(z.string().max(64)),
          metadata: optional(JsonObject),
        })
        .strict()
        .openapi("Heartbeat"),
      false,
    ),
  },
  responses: {
    200: jsonResponse(z.object({ status: z.literal("ok"), cancel: z.array(JobId), drain: z.boolean() }), "Alive; leases renewed"),
    ...openApiErrorResponses,
  },
});

export const MAX_POLL_WAIT_SECONDS = 30;

export const PollBody = z
  .object({
    // Any wait is taken, capped: AITBC's miner backs off with random fractional waits beyond 30 s.
    max_wait_seconds: optional(
      z
        .number()
        .nonnegative()
        .max(1e6)
        .transform((seconds) => Math.min(seconds, MAX_POLL_WAIT_SECONDS))
        .openapi({ description: `Seconds to wait for work; more than ${MAX_POLL_WAIT_SECONDS} waits ${MAX_POLL_WAIT_SECONDS}` }),
    ),
    max_jobs: optional(z.number().int().min(1).max(64)),
  })
  .strict()
  .openapi("Poll");

export const poll = createRoute({
  method: "post",
  path: "/miners/poll",
  operationId: "pollMiner",
  tags,
  security,
  request: {
    headers: MinerHeader,
    ...jsonBody(PollBody, false),
  },
  responses: {
    200: jsonResponse(z.union([AssignedJob, z.object({ items: z.array(AssignedJob) })]), "Work leased to this miner"),
    204: { description: "Nothing fits (or at capacity, or draining) once the wait is over" },
    ...openApiErrorResponses,
  },
});

export const result = createRoute({
  method: "post",
  path: "/miners/{job_id}/result",
  operationId: "submitResult",
  tags,
  security,
  request: {
    params: JobParams,
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({ result: JsonObject, metrics: optional(Metrics), lease_id: optional(LeaseId) })
        .strict()
        .openapi("Result"),
    ),
  },
  responses: {
    200: jsonResponse(z.object({ status: z.literal("ok"), receipt: Receipt.nullable() }), "Completed; the receipt"),
    ...openApiErrorResponses,
  },
});

export const fail = createRoute({
  method: "post",
  path: "/miners/{job_id}/fail",
  operationId: "submitFailure",
  tags,
  security,
  request: {
    params: JobParams,
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({
          error_code: optional(z.string().min(1).max(64)),
          error_message: optional(z.string().max(4096)),
          retryable: optional(z.boolean()),
          metrics: optional(Metrics),
          lease_id: optional(LeaseId),
        })
        .strict()
        .openapi("Failure"),
    ),
  },
  responses: {
    200: jsonResponse(z.object({ status: z.literal("ok"), state: JobState }), "Requeued with backoff, or FAILED"),
    ...openApiErrorResponses,
  },
});

export const drain = createRoute({
  method: "post",
  path: "/miners/drain",
  operationId: "drainMiner",
  tags,
  security,
  request: { headers: MinerHeader },
  responses: {
    200: jsonResponse(z.object({ status: z.literal("ok"), state: z.literal("DRAINING") }), "No new work; running jobs finish"),
    ...openApiErrorResponses,
  },
});

export const progress = createRoute({
  method: "post",
  path: "/miners/{job_id}/progress",
  operationId: "postProgress",
  tags,
  security,
  summary: "Report progress and stream output of a job the miner holds",
  description:
    "Stored in the job's region (never a D1 write) and sent at once to the job's event stream as job.progress and/or output.chunk. A sign of life, like any miner call.",
  request: {
    params: JobParams,
    headers: MinerHeader,
    ...jsonBody(ProgressBody),
  },
  responses: {
    200: jsonResponse(ProgressAnswer, "Taken (or a duplicate seq, or the job was canceled: see duplicate and canceled)"),
    ...errorResponsesOf(400, 401, 403, 404, 409, 415, 422, 429, 431, 500, 503),
    413: {
      ...openApiErrorResponses[413],
      description: `Body over 1 MiB, or the job's progress events would store more than ${MAX_PROGRESS_BYTES_PER_JOB} bytes (details name output or progress)`,
    },
  },
});
