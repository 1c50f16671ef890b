// Submitting one job: pick its region, claim the idempotency key, enqueue in the region DO.
// Shared by the single and the batch endpoint so both keep exactly the same rules.
import type { z } from "@hono/zod-openapi";
import canonicalize from "canonicalize";
import type { Principal } from "../../auth/principal";
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { claimIdempotencyKey } from "../../db/queries/idempotency";
import { selectJob } from "../../db/queries/jobs";
import { ApiError } from "../../http/errors";
import { sha256Hex } from "../../lib/hash";
import { newShardJobId } from "../../queue/shards";
import { contentHash } from "../../receipts/canonical-json";
import { jobStub, unwrap } from "../../routing/region-stub";
import { isKnownRegion, nearestRegion } from "../../routing/regions";
import { type JobViewBody, jobView, liveJobView } from "./job-view";
import type { SubmitJobBody } from "./jobs.routes";

export interface SubmitContext {
  env: Env;
  db: Db;
  config: Config;
  principal: Principal;
  cf: { continent?: unknown } | undefined;
}

export interface Submitted {
  job: JobViewBody;
  replayed: boolean;
}

/**
 * What an Idempotency-Key is bound to: the RFC 8785 form of the body as received. Unlike the
 * canonical JSON of receipts it keeps null members, so {"a": null} and {} are different bodies.
 */
async function fingerprint(received: unknown): Promise<string> {
  return sha256Hex(canonicalize(received) ?? "");
}

/**
 * `received` is the body exactly as the client sent it (zod's `body` is a copy that reads null as
 * absent): the idempotency fingerprint covers every member of it, nulls included.
 */
export async function enqueueSubmission(
  ctx: SubmitContext,
  body: z.infer<typeof SubmitJobBody>,
  received: unknown,
  idempotencyKey?: string,
): Promise<Submitted> {
  const constraints = Object.fromEntries(Object.entries(body.constraints ?? {}).filter(([, v]) => v !== undefined));
  const region = body.constraints?.region ?? nearestRegion(ctx.config.regions, ctx.cf);
  if (!isKnownRegion(ctx.config.regions, region)) {
    throw new ApiError("INVALID_PAYLOAD", "unknown region", [
      { field: "constraints.region", issue: `must be one of ${ctx.config.regions.map((r) => r.name).join(", ")}` },
    ]);
  }
  const submission = {
    clientId: ctx.principal.id,
    region,
    priority: body.priority ?? 0,
    constraints,
    payload: body.payload,
    ttlSeconds: body.ttl_seconds ?? ctx.config.jobTtlSeconds,
    maxAttempts: body.max_attempts ?? 3,
  };
  // Submissions spread over the region's shards; the job id names the one it was submitted to.
  let jobId = newShardJobId({ region, shard: Math.floor(Math.random() * ctx.config.shardsPerRegion) });
  let replayed = false;
  if (idempotencyKey !== undefined) {
    const requestHash = await fingerprint(received);
    const { record, claimed } = await claimIdempotencyKey(ctx.db, {
      principalId: ctx.principal.id,
      idempotencyKey,
      requestHash,
      jobId,
      region,
      createdAt: Date.now(),
    });
    if (!claimed) {
      if (record.requestHash !== requestHash) {
        throw new ApiError("IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used with a different body", [
          { field: "idempotency-key", issue: "reused with a different body" },
        ]);
      }
      const stored = await selectJob(ctx.db, record.jobId);
      if (stored) return { job: jobView(stored), replayed: true };
      // The first request claimed the key but never finished enqueueing: finish it now.
      jobId = record.jobId;
      replayed = true;
    }
  }
  const { job } = unwrap(
    await jobStub(ctx.env, ctx.config, { jobId, region, queuedRegion: null, queuedShard: null }).enqueue({
      ...submission,
      jobId,
      payloadHash: await contentHash(submission.payload),
    }),
  );
  return { job: liveJobView(job), replayed };
}
