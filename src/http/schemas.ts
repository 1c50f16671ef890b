// Wire schemas shared across routes. Optional fields also accept null, because AITBC's Python
// clients send None for "not set".
import { z } from "@hono/zod-openapi";
import { utf8Length } from "../lib/encoding";
import { jsonProblem, MAX_JSON_DEPTH } from "../lib/json-limits";
import type { Same } from "../lib/same-type";
import { type AssignedJob as AssignedJobShape, type Constraints as ConstraintsShape, JOB_STATES } from "../model/job";
import { MINER_STATUSES } from "../model/miner";
import type { Receipt as ReceiptShape } from "../model/receipt";
import { MAX_OUTPUT_CHUNK_BYTES, MAX_PROGRESS_MESSAGE_BYTES } from "../queue/progress";

export const JobId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex characters")
  .openapi({ description: "A job's id: 32 lower-case hex characters", example: "3f2a9c1e5b7d4f60a1b2c3d4e5f60718" });
export const MinerId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 . _ -")
  .openapi({ description: "A miner's id: 1-64 of A-Z a-z 0-9 . _ -", example: "rig-7" });
/** The path parameter of every route under a job. */
export const JobParams = z.object({
  job_id: JobId.openapi({
    param: { name: "job_id", in: "path" },
    description: "The job's id, as its submit answered it; an id of any other shape is a 404",
    example: "3f2a9c1e5b7d4f60a1b2c3d4e5f60718",
  }),
});
/** The path parameter of the admin's routes under a miner. */
export const MinerParams = z.object({
  miner_id: MinerId.openapi({
    param: { name: "miner_id", in: "path" },
    description: "The miner's id; an id of any other shape is a 404",
    example: "rig-7",
  }),
});
export const LeaseId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex characters")
  .openapi({ description: "A lease's id: 32 lower-case hex characters", example: "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d" });
export const TraceId = z
  .string()
  .openapi({ description: "A W3C trace id: 32 lower-case hex characters", example: "4bf92f3577b34da6a3ce929d0e0e4736" });
export const SpanId = z.string().openapi({ description: "A W3C span id: 16 lower-case hex characters", example: "00f067aa0ba902b7" });
export const TraceParentValue = z.string().openapi({
  description: "A W3C traceparent value: version-trace id-parent span id-flags",
  example: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
});
/** One rule for the Idempotency-Key header and a batch job's idempotency_key. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1-255 printable ASCII characters")
  .openapi({
    description:
      "Makes a submit safe to retry: 1-255 printable ASCII characters (! to ~), scoped to the client. The same key with the same body replays the first job (200); with another body it is a 422 IDEMPOTENCY_KEY_REUSED",
    example: "order-2026-0001",
  });
export const JobState = z.enum(JOB_STATES).openapi({
  description: "QUEUED, RUNNING, or one of the final states COMPLETED, FAILED, CANCELED, EXPIRED",
  example: "QUEUED",
});
export const MinerStatus = z.enum(MINER_STATUSES).openapi({
  description: "ONLINE takes work; DRAINING finishes its jobs and takes no new ones; OFFLINE has gone quiet",
  example: "ONLINE",
});

/** Refinement for free-form JSON: depth and finite numbers (see json-limits.ts). */
export const checkJsonWithin = (maxDepth: number) => (value: unknown, ctx: z.RefinementCtx) => {
  const problem = jsonProblem(value, maxDepth);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};
export const checkJson = checkJsonWithin(MAX_JSON_DEPTH);
export const JsonObject = z.record(z.string(), z.unknown()).superRefine(checkJson);

const optional = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((v) => v ?? undefined)
    .optional();

export const Constraints = z
  .object({
    gpu: optional(z.string().min(1).max(128)).openapi({
      description: "The name of one of the miner's GPUs must equal this",
      example: "NVIDIA A100-SXM4-80GB",
    }),
    cuda: optional(z.string().regex(/^\d+(\.\d+){0,3}$/, "must look like 12 or 12.3")).openapi({
      description: 'A prefix of the miner\'s CUDA version by parts: "12" fits "12" and "12.3", not "120"',
      example: "12",
    }),
    min_vram_gb: optional(z.number().positive().max(16_384)).openapi({
      description: "One of the miner's GPUs must have at least this much memory, in GiB",
      example: 40,
    }),
    models: optional(z.array(z.string().min(1).max(256)).max(64)).openapi({
      description: "Every one of these must be among the miner's models",
      example: ["llama-3-8b"],
    }),
    region: optional(z.string().min(1).max(32)).openapi({
      description: "Run only in this region (one of the coordinator's REGIONS); the job never leaves it",
      example: "eu-west",
    }),
    max_price: optional(z.number().nonnegative().max(1e12)).openapi({
      description: "The most the miner may ask per unit (its capabilities.price)",
      example: 0.002,
    }),
    max_units: optional(z.number().nonnegative().max(1e15)).openapi({
      description: "The most units a receipt for the job may bill, of any unit type; not a matching rule",
      example: 3600,
    }),
  })
  .strict()
  .openapi("Constraints", { description: "What a miner must offer to be given the job; every constraint set must hold" });
true satisfies Same<z.output<typeof Constraints>, ConstraintsShape>;

export const JobError = z
  .object({
    code: z.string().openapi({ description: "LEASE_EXPIRED, JOB_EXPIRED, or the miner's error_code", example: "CUDA_OOM" }),
    message: z.string().openapi({ description: "What went wrong, in words", example: "out of memory on device 0" }),
  })
  .nullable()
  .openapi({
    description:
      "The last unsuccessful attempt's error while the job is retried, the final one of a FAILED or EXPIRED job; null once it completes",
    example: null,
  });

export const JobView = z
  .object({
    job_id: JobId,
    state: JobState,
    priority: z.number().int().openapi({ description: "-100..100; higher runs first", example: 0 }),
    region: z.string().openapi({ description: "The region the job was submitted to", example: "eu-west" }),
    constraints: JsonObject.openapi({
      description: "The constraints as submitted (members set only)",
      example: { gpu: "NVIDIA A100-SXM4-80GB" },
    }),
    assigned_miner_id: z
      .string()
      .nullable()
      .openapi({ description: "The miner that holds or last held the job; null before its first lease", example: "rig-7" }),
    attempts: z.number().int().openapi({
      description: "Attempts that ended without success; the running attempt is attempts + 1",
      example: 0,
    }),
    max_attempts: z.number().int().openapi({ description: "The job is FAILED when attempts reaches this", example: 3 }),
    requested_at: z.string().openapi({ description: "When it was submitted (ISO 8601 UTC)", example: "2026-01-01T12:00:00.000Z" }),
    started_at: z
      .string()
      .nullable()
      .openapi({ description: "When its current or last lease began; null before its first lease", example: "2026-01-01T12:00:02.000Z" }),
    completed_at: z.string().nullable().openapi({ description: "When it reached a final state; null before", example: null }),
    expires_at: z
      .string()
      .openapi({ description: "When it expires unless finished (requested_at + ttl_seconds)", example: "2026-01-01T12:15:00.000Z" }),
    error: JobError,
    queued_region: z
      .string()
      .openapi({ description: "Region of the shard that holds the job now (spilling may move it)", example: "eu-west" }),
    queued_shard: z.number().int().openapi({ description: "That shard's number within its region", example: 0 }),
    ran_region: z
      .string()
      .nullable()
      .openapi({ description: "Region of the miner that leased it last; null before its first lease", example: "eu-west" }),
    trace_id: TraceId.nullable().openapi({
      description:
        "The job's W3C trace: its submit's (the caller's traceparent, or a new trace); every step of the job is a span of it. Null for jobs submitted before tracing.",
    }),
  })
  .openapi("JobView", { description: "A job as its client sees it" });

export const AssignedJob = z
  .object({
    job_id: JobId,
    payload: JsonObject.openapi({
      description: "The work, exactly as the client submitted it",
      example: { prompt: "a lighthouse at dusk", steps: 30 },
    }),
    constraints: Constraints,
    lease_id: LeaseId,
    lease_expires_at: z.string().openapi({
      description: "The lease lapses then unless the miner shows a sign of life (any miner call renews it)",
      example: "2026-01-01T12:00:32.000Z",
    }),
    attempt: z.number().int().openapi({ description: "Which attempt this is, from 1", example: 1 }),
    expires_at: z.string().openapi({ description: "When the job expires unless finished", example: "2026-01-01T12:15:00.000Z" }),
    traceparent: TraceParentValue.optional().openapi({
      description:
        "The job's W3C trace, with the lease as parent span: send it as the traceparent header of the progress, result and fail calls for this job, and they join the job's trace. Absent for jobs submitted before tracing.",
    }),
  })
  .openapi("AssignedJob", { description: "A job leased to the miner that polled" });
true satisfies Same<z.output<typeof AssignedJob>, AssignedJobShape>;

const ReceiptSignature = z
  .object({
    alg: z.literal("Ed25519").openapi({ description: "Always Ed25519", example: "Ed25519" }),
    key_id: z.string().openapi({
      description: "Which published key signed: its public key, base64url (GET /v1/receipts/keys)",
      example: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }),
    sig: z.string().openapi({
      description: "The signature over the receipt's canonical bytes, base64url",
      example: "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
    }),
  })
  .openapi({
    description: "An Ed25519 signature over the receipt's canonical bytes",
    example: {
      alg: "Ed25519",
      key_id: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
      sig: "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
    },
  });

/** A receipt as the coordinator issues it (docs/receipts.md). */
export const Receipt = z
  .object({
    version: z.literal("1.0").openapi({ description: "Format version; verifiers refuse any other", example: "1.0" }),
    receipt_id: z.string().openapi({ description: "This receipt's id (32 lower-case hex)", example: "c0ffee00c0ffee00c0ffee00c0ffee00" }),
    job_id: z.string().openapi({ description: "The completed job", example: "3f2a9c1e5b7d4f60a1b2c3d4e5f60718" }),
    provider: z.string().openapi({ description: "The miner that ran the job", example: "rig-7" }),
    client: z
      .string()
      .openapi({ description: "Principal id of the client that submitted it (never a key)", example: "cli_8f3a1c2d4e5f6a7b" }),
    units: z.number().openapi({ description: "Amount of work, bounded by the coordinator", example: 12.5 }),
    unit_type: z.string().openapi({ description: 'What units counts; default "gpu_seconds"', example: "gpu_seconds" }),
    price: z.number().openapi({ description: "Price per unit agreed when the job was leased", example: 0.002 }),
    started_at: z.number().int().openapi({ description: "Start of the lease that completed, Unix seconds", example: 1767268802 }),
    completed_at: z.number().int().openapi({ description: "When the coordinator accepted the result, Unix seconds", example: 1767268814 }),
    duration_ms: z.number().openapi({ description: "Lease start to completion, as the coordinator measured it", example: 12480 }),
    coordinator_id: z.string().openapi({ description: "The issuing coordinator (COORDINATOR_ID)", example: "edge-coordinator-local" }),
    nonce: z.string().openapi({ description: "16 random hex characters", example: "5e1f0a9b8c7d6e5f" }),
    payload_hash: z.string().openapi({
      description: "sha256:<64 hex> of the job's payload (canonical JSON)",
      example: "sha256:a351aed332a83220327ca2e7fc71bc51393c6cc5b228572c00af84541b70a9bc",
    }),
    result_hash: z.string().openapi({
      description: "sha256:<64 hex> of the result the miner submitted (canonical JSON)",
      example: "sha256:19d7ba24ee8aa799db358fa3d3a493f3c9ee8e41d88b927c4c7186f84947bd9c",
    }),
    chain_id: z.number().int().optional().openapi({ description: "Present only when CHAIN_ID is configured", example: 1 }),
    signature: ReceiptSignature,
    attestations: z
      .array(ReceiptSignature)
      .optional()
      .openapi({
        description: "Further signatures; present only when RECEIPT_ATTESTATION_KEY_HEX is set",
        example: [
          {
            alg: "Ed25519",
            key_id: "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw",
            sig: "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
          },
        ],
      }),
  })
  .openapi("Receipt", { description: "A signed receipt for a completed job (see docs/receipts.md for the format and how to verify it)" });
true satisfies Same<z.output<typeof Receipt>, ReceiptShape>;

export const Limit = z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Items per page, 1-100", example: 20 });
export const Cursor = z.string().max(256).optional().openapi({
  description: "next_cursor of the previous page; leave out for the first page",
  example: "WzE3NjcyNjg4MDAwMDAsIjNmMmE5YzFlNWI3ZDRmNjBhMWIyYzNkNGU1ZjYwNzE4Il0",
});
export const Page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item).openapi({ description: "This page's items" }),
    next_cursor: z.string().nullable().openapi({ description: "Pass as cursor for the next page; null on the last page", example: null }),
  });

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ description: "What went wrong, as a stable code", example: "INVALID_PAYLOAD" }),
        message: z.string().openapi({ description: "What went wrong, in words", example: "invalid request body" }),
        details: z
          .array(
            z
              .object({
                field: z
                  .string()
                  .openapi({ description: "The field's dotted path in the part that failed", example: "constraints.min_vram_gb" }),
                issue: z.string().openapi({ description: "What is wrong with it", example: "Too small: expected number to be >0" }),
              })
              .openapi({
                description: "One bad field",
                example: { field: "constraints.min_vram_gb", issue: "Too small: expected number to be >0" },
              }),
          )
          .optional()
          .openapi({
            description: "One entry per bad field (at most 10 for ill-formed input), when the error is about fields",
            example: [{ field: "constraints.min_vram_gb", issue: "Too small: expected number to be >0" }],
          }),
      })
      .openapi({ description: "The error", example: { code: "INVALID_PAYLOAD", message: "invalid request body" } }),
    request_id: z
      .string()
      .openapi({ description: "The request's id, also in the X-Request-Id header; quote it when reporting", example: "f6d1c2b0a9e8d7c6" }),
  })
  .openapi("Error", { description: "The one error shape of every 4xx and 5xx answer" });

export { optional };

// ---------------------------------------------------------------------------------------------
// Progress and streamed output: POST /v1/miners/{job_id}/progress, and where a job's event
// stream resumes (GET /v1/jobs/{job_id}/events).
// ---------------------------------------------------------------------------------------------

const utf8AtMost = (bytes: number) => (text: string) => utf8Length(text) <= bytes;

export const ProgressBody = z
  .object({
    lease_id: LeaseId.openapi({
      description: "The lease the miner runs the job under, as its poll answer gave it; a stale one is refused with 409 LEASE_LOST",
      example: "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d",
    }),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({
      description:
        "The post's number, chosen by the miner, growing with each post of this lease. A post whose seq is at or below the last one taken for the lease stores nothing and is answered duplicate: true (so a retry is harmless)",
      example: 7,
    }),
    progress: optional(
      z
        .number()
        .min(0)
        .max(1)
        .openapi({ description: "How far the job is, from 0 to 1; sent to the job's subscribers as job.progress", example: 0.42 }),
    ),
    message: optional(
      z
        .string()
        .refine(utf8AtMost(MAX_PROGRESS_MESSAGE_BYTES), `must be at most ${MAX_PROGRESS_MESSAGE_BYTES} bytes of UTF-8`)
        .openapi({
          description: `A short status line, at most ${MAX_PROGRESS_MESSAGE_BYTES} bytes of UTF-8; sent as job.progress`,
          example: "epoch 3/8",
        }),
    ),
    output: optional(
      z
        .string()
        .min(1)
        .refine(utf8AtMost(MAX_OUTPUT_CHUNK_BYTES), `must be at most ${MAX_OUTPUT_CHUNK_BYTES} bytes of UTF-8`)
        .openapi({
          description: `The next piece of the job's output, 1 to ${MAX_OUTPUT_CHUNK_BYTES} bytes of UTF-8 text; sent as output.chunk`,
          example: "loss=0.213\n",
        }),
    ),
  })
  .strict()
  .superRefine((post, ctx) => {
    if (post.progress === undefined && post.message === undefined && post.output === undefined) {
      ctx.addIssue({ code: "custom", message: "send at least one of progress, message, output" });
    }
  })
  .openapi("ProgressPost", { description: "A progress report and/or a piece of output from the miner that holds the job" });

export const ProgressAnswer = z
  .object({
    status: z.literal("ok").openapi({ description: "Always ok on 200", example: "ok" }),
    seq: z.number().int().openapi({ description: "The post's seq, as sent", example: 7 }),
    duplicate: z.boolean().openapi({
      description: "True when the seq was at or below the last one taken for this lease: nothing was stored or sent",
      example: false,
    }),
    canceled: z.boolean().openapi({
      description: "True when the job was canceled (or expired) while this lease held it: nothing was stored; stop working on it",
      example: false,
    }),
  })
  .openapi("ProgressAnswer");

/** A position in a job's event stream: the id of the last event a client got (0: before the first). */
export const EventId = z
  .string()
  .regex(/^\d{1,15}$/, "must be an event id: a whole number, 0 or more")
  .transform(Number);

const count = (description: string, example: number) => z.number().int().openapi({ description, example });
const percentileMs = (description: string, example: number) => z.number().int().nullable().openapi({ description, example });

/** One minute of one region in the admin history (GET /v1/admin/stats/history). */
export const HistoryPoint = z
  .object({
    minute: z.string().openapi({ description: "The minute's start (ISO 8601 UTC)", example: "2026-01-01T12:00:00.000Z" }),
    queued: count(
      "Jobs QUEUED at the minute's end (now, for the current minute); for a minute without a sample the last known figure, 0 before any",
      4,
    ),
    running: count("Jobs RUNNING at the minute's end, as queued is", 2),
    completed: count("Jobs that reached COMPLETED in the minute", 10),
    failed: count("Jobs that reached FAILED in the minute", 1),
    canceled: count("Jobs CANCELED in the minute", 0),
    expired: count("Jobs that EXPIRED in the minute", 0),
    wait_p50_ms: percentileMs(
      "Median wait of the jobs leased in the minute, from when each became available (submitted, back in the queue, or its retry backoff over) to its lease, to within 5 %; null when none was leased",
      120,
    ),
    wait_p95_ms: percentileMs("95th percentile of the same waits; null when none was leased", 900),
    run_p50_ms: percentileMs(
      "Median run time, from lease to the end, of the jobs that reached COMPLETED or FAILED in the minute, to within 5 %; null when none did",
      2000,
    ),
    run_p95_ms: percentileMs("95th percentile of the same run times; null when none did", 5000),
  })
  .openapi("HistoryPoint", { description: "One minute of one region: what happened in it, and the queue at its end" });
