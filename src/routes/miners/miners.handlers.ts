import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isPrincipalIdShaped } from "../../auth/principal";
import { ApiError } from "../../http/errors";
import type { AppEnv } from "../../http/router";
import { logger } from "../../lib/log";
import type { AssignedJob } from "../../model/job";
import type { Outcome } from "../../queue/outcome";
import type { MinerCall } from "../../queue/region-queue";
import { callMiner, findPlacement, rememberMiner, resolveMiner } from "../../routing/miner-directory";
import { minerStub, type RegionApi, unwrap } from "../../routing/region-stub";
import { isKnownRegion, nearestRegion } from "../../routing/regions";
import type * as routes from "./miners.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** Runs a call of the calling miner (the key's, or the one X-Miner-Id names) on its shard DO. */
function withMiner<T>(c: Context<AppEnv>, call: (stub: RegionApi, miner: MinerCall) => Promise<Outcome<T>>): Promise<T> {
  const principal = c.get("principal");
  const header = c.req.header("x-miner-id");
  return callMiner(
    c.env,
    c.get("config"),
    () => resolveMiner(c.env.DB, principal, header),
    (stub, minerId) => call(stub, { minerId, ownerId: principal.id, span: c.get("span") }),
  );
}

export const register: Handler<typeof routes.register> = async (c) => {
  const body = c.req.valid("json");
  const config = c.get("config");
  const principal = c.get("principal");
  const minerId = body.miner_id ?? principal.id;
  // A key's principal id is its default miner id, so no other key may take an id of that shape.
  if (minerId !== principal.id && isPrincipalIdShaped(minerId)) {
    throw new ApiError("INVALID_PAYLOAD", "miner_id is reserved", [
      { field: "miner_id", issue: "ids shaped like a principal id are reserved for the key they belong to" },
    ]);
  }
  const placement = await findPlacement(c.env.DB, minerId);
  if (placement && placement.ownerId !== principal.id) {
    throw new ApiError("CONFLICT_STATE", "miner_id is registered by another key", [{ field: "miner_id", issue: "taken" }]);
  }
  const region = body.region ?? placement?.region ?? nearestRegion(config.regions, c.req.raw.cf as { continent?: unknown });
  if (!isKnownRegion(config.regions, region)) {
    throw new ApiError("INVALID_PAYLOAD", "unknown region", [
      { field: "region", issue: `must be one of ${config.regions.map((r) => r.name).join(", ")}` },
    ]);
  }
  const retired =
    placement && placement.region !== region
      ? unwrap(await minerStub(c.env, config, minerId, placement.region).retire(minerId, c.get("span")))
      : null;
  const { capabilities, concurrency } = body;
  const registered = unwrap(
    await minerStub(c.env, config, minerId, region).register({
      minerId,
      ownerId: principal.id,
      region,
      capabilities: capabilities ?? {},
      concurrency: concurrency ?? 1,
      previousVersion: retired?.version ?? undefined,
    }),
  );
  rememberMiner(minerId, principal.id, region);
  return c.json(
    {
      status: "ok" as const,
      miner_id: minerId,
      session_token: registered.sessionToken,
      region,
      heartbeat_interval_seconds: config.heartbeatIntervalSeconds,
      heartbeat_timeout_seconds: config.heartbeatTimeoutSeconds,
    },
    200,
  );
};

export const heartbeat: Handler<typeof routes.heartbeat> = async (c) => {
  const { inflight, status, metadata } = c.req.valid("json") ?? {};
  const reported = { inflight: inflight ?? null, status: status ?? null, metadata: metadata ?? null };
  const held = Array.isArray(inflight) ? inflight : undefined;
  const answer = await withMiner(c, (stub, miner) => stub.heartbeat(miner, reported, held));
  return c.json({ status: "ok" as const, ...answer }, 200);
};

export const poll: Handler<typeof routes.poll> = async (c) => {
  const { max_wait_seconds: maxWait = 15, max_jobs: maxJobs = 1 } = c.req.valid("json") ?? {};
  let jobs: AssignedJob[];
  try {
    jobs = await withMiner(c, (stub, miner) => stub.poll(miner, maxJobs, maxWait));
  } catch (err) {
    // The region DO was reset or evicted while the poll was parked. Whatever it may have leased
    // and not delivered comes back when the lease expires, so the miner simply polls again.
    if (err instanceof ApiError) throw err;
    logger(c.get("config").logLevel).warn("parked poll interrupted", { request_id: c.get("requestId"), error: String(err) });
    return c.body(null, 204);
  }
  if (jobs.length === 0) return c.body(null, 204);
  return maxJobs > 1 ? c.json({ items: jobs }, 200) : c.json(jobs[0]!, 200);
};

export const result: Handler<typeof routes.result> = async (c) => {
  const { job_id: jobId } = c.req.valid("param");
  const body = c.req.valid("json");
  const answer = await withMiner(c, (stub, miner) => stub.complete(miner, jobId, body.lease_id, body.result, body.metrics ?? {}));
  return c.json({ status: "ok" as const, receipt: answer.receipt }, 200);
};

export const fail: Handler<typeof routes.fail> = async (c) => {
  const { job_id: jobId } = c.req.valid("param");
  const body = c.req.valid("json");
  const error = { code: body.error_code ?? "MINER_ERROR", message: body.error_message ?? "" };
  const answer = await withMiner(c, (stub, miner) => stub.fail(miner, jobId, body.lease_id, error, body.retryable ?? true));
  return c.json({ status: "ok" as const, state: answer.state }, 200);
};

export const progress: Handler<typeof routes.progress> = async (c) => {
  const { job_id: jobId } = c.req.valid("param");
  const { lease_id: leaseId, seq, progress: fraction, message, output } = c.req.valid("json");
  // The miner's own DO holds the job while it runs: a job moves only while queued, to the shard of the miner that takes it.
  const answer = await withMiner(c, (stub, miner) => stub.progress(miner, jobId, { leaseId, seq, progress: fraction, message, output }));
  return c.json({ status: "ok" as const, ...answer }, 200);
};

export const drain: Handler<typeof routes.drain> = async (c) => {
  await withMiner(c, (stub, miner) => stub.drain(miner));
  return c.json({ status: "ok" as const, state: "DRAINING" as const }, 200);
};
