import { z } from "@hono/zod-openapi";
import { apiRoute, jsonBody, jsonResponse, keyAuth } from "../../http/openapi-errors";
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
const MinerHeader = z.object({
  "x-miner-id": MinerId.optional().openapi({
    description: "The miner the call is for; may be left out while the key runs exactly one miner",
    example: "rig-7",
  }),
});

export const Capabilities = z
  .object({
    gpus: optional(
      z
        .array(
          z
            .object({
              name: z
                .string()
                .min(1)
                .max(128)
                .openapi({ description: "The GPU's name, matched exactly by constraints.gpu", example: "NVIDIA A100-SXM4-80GB" }),
              memory_mb: z.number().nonnegative().max(1e7).nullable().openapi({
                description: "Its memory in MiB; null when unknown (then it fits no min_vram_gb)",
                example: 81920,
              }),
            })
            .catchall(z.unknown())
            .openapi({
              description: "One GPU; other members are kept as reported",
              example: { name: "NVIDIA A100-SXM4-80GB", memory_mb: 81920 },
            }),
        )
        .max(64),
    ).openapi({
      description: "The miner's GPUs (a miner that lists none counts as one GPU for billing)",
      example: [{ name: "NVIDIA A100-SXM4-80GB", memory_mb: 81920 }],
    }),
    cuda: optional(z.string().regex(/^\d+(\.\d+){0,3}$/, "must look like 12 or 12.3")).openapi({
      description: "CUDA version",
      example: "12.3",
    }),
    models: optional(z.array(z.string().min(1).max(256)).max(1024)).openapi({
      description: "Models the miner can run",
      example: ["llama-3-8b", "sdxl"],
    }),
    price: optional(z.number().nonnegative().max(1e12)).openapi({
      description: "Price per unit the miner asks (default 0); fixed into a job's receipt when it is leased",
      example: 0.002,
    }),
  })
  .catchall(z.unknown())
  .superRefine(checkJson)
  .openapi("Capabilities", { description: "What the miner offers; other members are kept as reported" });
true satisfies Same<z.output<typeof Capabilities>, CapabilitiesShape>;

export const RegisterBody = z
  .object({
    capabilities: optional(Capabilities),
    concurrency: optional(z.number().int().min(1).max(64)).openapi({ description: "Jobs it runs at once, 1-64, default 1", example: 2 }),
    region: optional(z.string().min(1).max(32)).openapi({
      description: "One of the coordinator's REGIONS; default: the miner's current region, else the nearest",
      example: "eu-west",
    }),
    miner_id: optional(MinerId).openapi({
      description:
        "The miner's id; default the key's principal id. Another key's miner id is a 409; an id shaped like a principal id other than the key's own is a 422",
      example: "rig-7",
    }),
  })
  .strict()
  .openapi("RegisterMiner", { description: "A miner's registration. Optional members also take null for not set." });

export const Metrics = z
  .object({
    units: optional(z.number().nonnegative().max(1e15)).openapi({
      description: "Units of work the miner claims (bounded by the coordinator)",
      example: 12.5,
    }),
    unit_type: optional(z.string().min(1).max(64)).openapi({
      description: 'What units counts; default "gpu_seconds"',
      example: "gpu_seconds",
    }),
    price: optional(z.number().nonnegative().max(1e15)).openapi({
      description: "Accepted and ignored: the price agreed at lease is billed",
      example: 0.002,
    }),
    duration_ms: optional(z.number().int().nonnegative().max(1e13)).openapi({
      description: "Accepted and ignored: the coordinator measures the duration itself",
      example: 12480,
    }),
  })
  // Other members are accepted and ignored: AITBC's miner reports e.g. {"workspace": "/path"}.
  .openapi("Metrics", { description: "The miner's claims about the work; other members are accepted and ignored" });
true satisfies Same<z.output<typeof Metrics>, MetricsShape>;

/** The lease_id a result or failure may carry. */
const ReportedLease = optional(LeaseId).openapi({
  description: "The lease the poll gave; when sent, it must be the job's current lease",
  example: "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d",
});

export const register = apiRoute({
  method: "post",
  path: "/miners/register",
  operationId: "registerMiner",
  summary: "Register a miner",
  description:
    "Registers the miner (again) with its capabilities and concurrency, ONLINE. Registering in another region moves it: its running jobs in the old region go back to the queue. Each registration issues a new session_token.",
  tags,
  security,
  request: jsonBody(RegisterBody),
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok").openapi({ description: "Always ok", example: "ok" }),
        miner_id: MinerId,
        session_token: z
          .string()
          .openapi({ description: "A new token for this registration", example: "7c9e6679742548d0b5b8ea6a3c1f2d4e" }),
        region: z.string().openapi({ description: "The region the miner is registered in", example: "eu-west" }),
        heartbeat_interval_seconds: z.number().int().openapi({ description: "Send a heartbeat this often", example: 10 }),
        heartbeat_timeout_seconds: z.number().int().openapi({
          description: "After this long without a call the miner goes OFFLINE and its leases lapse",
          example: 30,
        }),
      }),
      "Registered (again)",
    ),
  },
  errors: ["INVALID_PAYLOAD", "CONFLICT_STATE"],
  errorMeanings: { CONFLICT_STATE: "another key registered this miner_id (details name miner_id)" },
});

export const heartbeat = apiRoute({
  method: "post",
  path: "/miners/heartbeat",
  operationId: "minerHeartbeat",
  summary: "Heartbeat",
  description:
    "A sign of life: renews the leases of the miner's running jobs. Answers the jobs cancelled or expired while it ran them (each once) and whether it is draining. The body may be left out.",
  tags,
  security,
  request: {
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({
          inflight: optional(z.union([z.number().int().nonnegative().max(1e6), z.array(z.string().max(64)).max(1024)])).openapi({
            description:
              "The jobs the miner runs: a count (stored only), or their ids, which confirms those leases and returns to the queue any older lease the list leaves out",
            example: ["3f2a9c1e5b7d4f60a1b2c3d4e5f60718"],
          }),
          status: optional(z.string().max(64)).openapi({ description: "Free-form status, shown to admins", example: "busy" }),
          metadata: optional(JsonObject).openapi({ description: "Free-form report, shown to admins", example: { gpu_temp_c: 64 } }),
        })
        .strict()
        .openapi("Heartbeat", { description: "What the miner reports; shown to admins, never used to give it work" }),
      false,
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok").openapi({ description: "Always ok", example: "ok" }),
        cancel: z.array(JobId).openapi({ description: "Jobs to stop: cancelled or expired while this miner ran them", example: [] }),
        drain: z.boolean().openapi({ description: "True once the miner is draining: it gets no new work", example: false }),
      }),
      "Alive; leases renewed",
    ),
  },
  errors: ["INVALID_PAYLOAD", "MINER_NOT_FOUND"],
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
        .openapi({
          description: `Seconds to wait for work (fractions too), default 15; more than ${MAX_POLL_WAIT_SECONDS} waits ${MAX_POLL_WAIT_SECONDS}`,
          example: 15,
        }),
    ),
    max_jobs: optional(z.number().int().min(1).max(64)).openapi({
      description: "Jobs to take at once, 1-64, default 1; more than 1 answers {items}",
      example: 1,
    }),
  })
  .strict()
  .openapi("Poll", { description: "How long to wait for work, and how much to take" });

export const poll = apiRoute({
  method: "post",
  path: "/miners/poll",
  operationId: "pollMiner",
  summary: "Poll for work",
  description:
    "Leases the best fitting jobs (highest priority, then oldest), never more than the miner's free concurrency, waiting up to max_wait_seconds for one. A lease the miner never received is carried again. The body may be left out.",
  tags,
  security,
  request: {
    headers: MinerHeader,
    ...jsonBody(PollBody, false),
  },
  responses: {
    200: jsonResponse(
      z
        .union([
          AssignedJob,
          z
            .object({ items: z.array(AssignedJob).openapi({ description: "The jobs leased", example: [] }) })
            .openapi("AssignedJobs", { description: "The jobs leased, when max_jobs is more than 1" }),
        ])
        .openapi({ description: "One AssignedJob when max_jobs is 1, else {items}" }),
      "Work leased to this miner",
    ),
    204: { description: "Nothing fits (or the miner is at capacity, or draining) once the wait is over; no body" },
  },
  errors: ["INVALID_PAYLOAD", "MINER_NOT_FOUND"],
});

export const result = apiRoute({
  method: "post",
  path: "/miners/{job_id}/result",
  operationId: "submitResult",
  summary: "Submit a job's result",
  description: "Completes a job the miner holds and answers its signed receipt. An identical retry answers the same receipt.",
  tags,
  security,
  request: {
    params: JobParams,
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({
          result: JsonObject.openapi({ description: "The result, any JSON object", example: { image_url: "https://example.com/out.png" } }),
          metrics: optional(Metrics),
          lease_id: ReportedLease,
        })
        .strict()
        .openapi("Result", { description: "A job's result. Optional members also take null for not set." }),
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok").openapi({ description: "Always ok", example: "ok" }),
        receipt: Receipt.nullable().openapi({ description: "The signed receipt; null when receipts are disabled" }),
      }),
      "Completed; the receipt",
    ),
  },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND", "MINER_NOT_FOUND", "LEASE_LOST", "CONFLICT_STATE"],
  errorMeanings: {
    LEASE_LOST: "the job was re-leased, cancelled, expired or finished by someone else, or lease_id is not its current lease",
    CONFLICT_STATE: "this miner already completed the job with a different result",
  },
});

export const fail = apiRoute({
  method: "post",
  path: "/miners/{job_id}/fail",
  operationId: "submitFailure",
  summary: "Report a failed job",
  description:
    "Ends the miner's attempt. A retryable failure with attempts left goes back to the queue after a backoff (state QUEUED); otherwise the job is FAILED.",
  tags,
  security,
  request: {
    params: JobParams,
    headers: MinerHeader,
    ...jsonBody(
      z
        .object({
          error_code: optional(z.string().min(1).max(64)).openapi({ description: "default MINER_ERROR", example: "CUDA_OOM" }),
          error_message: optional(z.string().max(4096)).openapi({
            description: "What went wrong, in words",
            example: "out of memory on device 0",
          }),
          retryable: optional(z.boolean()).openapi({ description: "Whether another attempt may succeed; default true", example: true }),
          metrics: optional(Metrics),
          lease_id: ReportedLease,
        })
        .strict()
        .openapi("Failure", { description: "Why an attempt failed. Optional members also take null for not set." }),
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok").openapi({ description: "Always ok", example: "ok" }),
        state: JobState.openapi({ description: "QUEUED (to be retried after a backoff) or FAILED", example: "QUEUED" }),
      }),
      "Requeued with backoff, or FAILED",
    ),
  },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND", "MINER_NOT_FOUND", "LEASE_LOST"],
});

export const drain = apiRoute({
  method: "post",
  path: "/miners/drain",
  operationId: "drainMiner",
  summary: "Drain a miner",
  description:
    "The miner gets no new work; its running jobs finish normally, and heartbeats answer drain: true. Registering again brings it back ONLINE.",
  tags,
  security,
  request: { headers: MinerHeader },
  responses: {
    200: jsonResponse(
      z.object({
        status: z.literal("ok").openapi({ description: "Always ok", example: "ok" }),
        state: z.literal("DRAINING").openapi({ description: "The miner's status now", example: "DRAINING" }),
      }),
      "No new work; running jobs finish",
    ),
  },
  errors: ["INVALID_PAYLOAD", "MINER_NOT_FOUND"],
});

export const progress = apiRoute({
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
  },
  errors: ["INVALID_PAYLOAD", "JOB_NOT_FOUND", "MINER_NOT_FOUND", "LEASE_LOST"],
  errorMeanings: {
    PAYLOAD_TOO_LARGE: `the body is over 1 MiB, or the job's progress events would store more than ${MAX_PROGRESS_BYTES_PER_JOB} bytes (details name output or progress)`,
    LEASE_LOST:
      "the job is no longer leased to this miner under lease_id (a job canceled or expired under it is answered 200 with canceled: true)",
  },
});
