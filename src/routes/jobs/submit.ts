// Submitting jobs: pick each job's region, claim idempotency keys, enqueue in the region DOs.
// The single and the batch endpoint both submit through enqueueSubmissions, so both keep exactly
// the same rules; a batch costs one D1 batch for its keys and one DO call per shard it touches.
import type { z } from "@hono/zod-openapi";
import canonicalize from "canonicalize";
import type { Principal } from "../../auth/principal";
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { claimIdempotencyKeys } from "../../db/queries/idempotency";
import { selectJobsById } from "../../db/queries/jobs";
import { ApiError } from "../../http/errors";
import { sha256Hex } from "../../lib/hash";
import type { Span } from "../../lib/trace-context";
import { newShardJobId, type ShardAddress, shardName } from "../../queue/shards";
import type { NewJob } from "../../queue/state-machine";
import { contentHash } from "../../receipts/canonical-json";
import { jobHome, regionStub, unwrap } from "../../routing/region-stub";
import { isKnownRegion, nearestRegion } from "../../routing/regions";
import { type JobViewBody, jobView, liveJobView } from "./job-view";
import type { SubmitJobBody } from "./jobs.routes";

export interface SubmitContext {
  env: Env;
  db: Db;
  config: Config;
  principal: Principal;
  cf: { continent?: unknown } | undefined;
  /** The submit request's span: its jobs belong to its trace. */
  span: Span;
}

export interface Submission {
  body: z.infer<typeof SubmitJobBody>;
  /**
   * The body exactly as the client sent it (zod's `body` is a copy that reads null as absent): the
   * idempotency fingerprint covers every member of it, nulls included.
   */
  received: unknown;
  idempotencyKey?: string | undefined;
}

export interface Submitted {
  job: JobViewBody;
  replayed: boolean;
}

/** A submission still to enqueue, the shard it goes to, and whether it finishes an earlier request with its key. */
interface Pending {
  index: number;
  job: NewJob;
  shard: ShardAddress;
  replayed: boolean;
}

/**
 * What an Idempotency-Key is bound to: the RFC 8785 form of the body as received. Unlike the
 * canonical JSON of receipts it keeps null members, so {"a": null} and {} are different bodies.
 */
async function fingerprint(received: unknown): Promise<string> {
  return sha256Hex(canonicalize(received) ?? "");
}

async function newJobFor(ctx: SubmitContext, body: Submission["body"]): Promise<{ job: NewJob; shard: ShardAddress }> {
  const constraints = Object.fromEntries(Object.entries(body.constraints ?? {}).filter(([, v]) => v !== undefined));
  const region = body.constraints?.region ?? nearestRegion(ctx.config.regions, ctx.cf);
  if (!isKnownRegion(ctx.config.regions, region)) {
    throw new ApiError("INVALID_PAYLOAD", "unknown region", [
      { field: "constraints.region", issue: `must be one of ${ctx.config.regions.map((r) => r.name).join(", ")}` },
    ]);
  }
  // Submissions spread over the region's shards; the job id names the one it was submitted to.
  const shard = { region, shard: Math.floor(Math.random() * ctx.config.shardsPerRegion) };
  const job = {
    jobId: newShardJobId(shard),
    clientId: ctx.principal.id,
    region,
    priority: body.priority ?? 0,
    constraints,
    payload: body.payload,
    payloadHash: await contentHash(body.payload),
    ttlSeconds: body.ttl_seconds ?? ctx.config.jobTtlSeconds,
    maxAttempts: body.max_attempts ?? 3,
    traceId: ctx.span.traceId,
  };
  return { job, shard };
}

/** One answer per submission, in order: the job, or the refusal of that submission alone. */
export async function enqueueSubmissions(ctx: SubmitContext, submissions: readonly Submission[]): Promise<(Submitted | ApiError)[]> {
  const answers: (Submitted | ApiError)[] = [];
  const pending: Pending[] = [];
  for (const [index, submission] of submissions.entries()) {
    try {
      pending.push({ index, ...(await newJobFor(ctx, submission.body)), replayed: false });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      answers[index] = err;
    }
  }
  const toEnqueue = await settleIdempotencyKeys(ctx, submissions, pending, answers);
  const byShard = new Map<string, Pending[]>();
  for (const p of toEnqueue) byShard.set(shardName(p.shard), [...(byShard.get(shardName(p.shard)) ?? []), p]);
  await Promise.all(
    [...byShard.values()].map(async (group) => {
      const { region, shard } = group[0]!.shard;
      const stub = regionStub(ctx.env, ctx.config, region, shard);
      const enqueued = unwrap(
        await stub.enqueueBatch(
          group.map((p) => p.job),
          ctx.span,
        ),
      );
      group.forEach((p, i) => {
        answers[p.index] = { job: liveJobView(enqueued[i]!.job), replayed: p.replayed };
      });
    }),
  );
  return answers;
}

/**
 * Claims the keys of the keyed submissions. A key already held by the same body is a replay: its
 * job as D1 has it, or, when the first request never finished enqueueing, that job id enqueued now.
 * Returns what is left to enqueue; replays and refusals are written into `answers`.
 */
async function settleIdempotencyKeys(
  ctx: SubmitContext,
  submissions: readonly Submission[],
  pending: Pending[],
  answers: (Submitted | ApiError)[],
): Promise<Pending[]> {
  const keyed = pending.filter((p) => submissions[p.index]!.idempotencyKey !== undefined);
  const hashes = await Promise.all(keyed.map((p) => fingerprint(submissions[p.index]!.received)));
  const claims = await claimIdempotencyKeys(
    ctx.db,
    keyed.map((p, i) => ({
      principalId: ctx.principal.id,
      idempotencyKey: submissions[p.index]!.idempotencyKey!,
      requestHash: hashes[i]!,
      jobId: p.job.jobId,
      region: p.job.region,
      createdAt: Date.now(),
    })),
  );
  const replays: Pending[] = [];
  keyed.forEach((p, i) => {
    const { record, claimed } = claims[i]!;
    if (claimed) return;
    if (record.requestHash !== hashes[i]) {
      answers[p.index] = new ApiError("IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used with a different body", [
        { field: "idempotency-key", issue: "reused with a different body" },
      ]);
    } else {
      replays.push(p);
      p.job = { ...p.job, jobId: record.jobId };
      // The first request's job id names the shard it went to.
      p.shard = jobHome(ctx.config, { ...p.job, queuedRegion: null, queuedShard: null });
      p.replayed = true;
    }
  });
  const stored = new Map((await selectJobsById(ctx.db, [...new Set(replays.map((p) => p.job.jobId))])).map((row) => [row.jobId, row]));
  for (const p of replays) {
    const row = stored.get(p.job.jobId);
    if (row) answers[p.index] = { job: jobView(row), replayed: true };
  }
  return pending.filter((p) => answers[p.index] === undefined);
}

/** The single endpoint: a batch of one, its refusal thrown. */
export async function enqueueSubmission(ctx: SubmitContext, submission: Submission): Promise<Submitted> {
  const [answer] = await enqueueSubmissions(ctx, [submission]);
  if (answer instanceof ApiError) throw answer;
  return answer!;
}
