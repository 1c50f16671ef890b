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
  .openapi({ example: "3f2a9c1e5b7d4f60a1b2c3d4e5f60718" });
export const MinerId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 . _ -");
/** The path parameter of every route under a job. */
export const JobParams = z.object({ job_id: JobId.openapi({ param: { name: "job_id", in: "path" } }) });
export const LeaseId = z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lower-case hex characters");
/** One rule for the Idempotency-Key header and a batch job's idempotency_key. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, "must be 1-255 printable ASCII characters");
export const JobState = z.enum(JOB_STATES);
export const MinerStatus = z.enum(MINER_STATUSES);

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
    gpu: optional(z.string().min(1).max(128)),
    cuda: optional(z.string().regex(/^\d+(\.\d+){0,3}$/, "must look like 12 or 12.3")),
    min_vram_gb: optional(z.number().positive().max(16_384)),
    models: optional(z.array(z.string().min(1).max(256)).max(64)),
    region: optional(z.string().min(1).max(32)),
    max_price: optional(z.number().nonnegative().max(1e12)),
    max_units: optional(z.number().nonnegative().max(1e15)),
  })
  .strict()
  .openapi("Constraints");
true satisfies Same<z.output<typeof Constraints>, ConstraintsShape>;

export const JobError = z.object({ code: z.string(), message: z.string() }).nullable();

export const JobView = z
  .object({
    job_id: JobId,
    state: JobState,
    priority: z.number().int(),
    region: z.string(),
    constraints: JsonObject,
    assigned_miner_id: z.string().nullable(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    requested_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    expires_at: z.string(),
    error: JobError,
    queued_region: z.string().openapi({ description: "Region of the shard that holds the job now (spilling may move it)" }),
    queued_shard: z.number().int().openapi({ description: "That shard's number within its region" }),
    ran_region: z.string().nullable().openapi({ description: "Region of the miner that leased it last" }),
  })
  .openapi("JobView");

export const AssignedJob = z
  .object({
    job_id: JobId,
    payload: JsonObject,
    constraints: Constraints,
    lease_id: LeaseId,
    lease_expires_at: z.string(),
    attempt: z.number().int(),
    expires_at: z.string(),
  })
  .openapi("AssignedJob");
true satisfies Same<z.output<typeof AssignedJob>, AssignedJobShape>;

const ReceiptSignature = z.object({ alg: z.literal("Ed25519"), key_id: z.string(), sig: z.string() });

/** A receipt as the coordinator issues it (docs/receipts.md). */
export const Receipt = z
  .object({
    version: z.literal("1.0"),
    receipt_id: z.string(),
    job_id: z.string(),
    provider: z.string(),
    client: z.string(),
    units: z.number(),
    unit_type: z.string(),
    price: z.number(),
    started_at: z.number().int(),
    completed_at: z.number().int(),
    duration_ms: z.number(),
    coordinator_id: z.string(),
    nonce: z.string(),
    payload_hash: z.string(),
    result_hash: z.string(),
    chain_id: z.number().int().optional(),
    signature: ReceiptSignature,
    attestations: z.array(ReceiptSignature).optional(),
  })
  .openapi("Receipt");
true satisfies Same<z.output<typeof Receipt>, ReceiptShape>;

export const Limit = z.coerce.number().int().min(1).max(100).default(20);
export const Cursor = z.string().max(256).optional();
export const Page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), issue: z.string() })).optional(),
    }),
    request_id: z.string(),
  })
  .openapi("Error");

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
