import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createDb, type Db } from "../../db/client";
import { jobStats, selectJob, selectJobEvents, selectJobs } from "../../db/queries/jobs";
import { minerStats, selectMiners } from "../../db/queries/miners";
import { appendReceipt, latestReceipt } from "../../db/queries/receipts";
import type { MinerRow } from "../../db/schema";
import { ApiError } from "../../http/errors";
import type { AppEnv } from "../../http/router";
import { toIso } from "../../lib/time";
import { FINAL_STATES, type JobState } from "../../model/job";
import type { MinerStatus } from "../../model/miner";
import { minerRow } from "../../queue/d1-rows";
import type { Outcome } from "../../queue/outcome";
import type { HeldMiner } from "../../queue/region-coordinator";
import { loadReceiptKeyring } from "../../receipts/keyring";
import { reissue } from "../../receipts/reissue";
import { heldJobsOf } from "../../routing/held-jobs";
import { callMiner, findPlacement } from "../../routing/miner-directory";
import type { RegionApi } from "../../routing/region-stub";
import { collectHistory } from "../../routing/shard-history";
import { collectShardStats } from "../../routing/shard-stats";
import { cancelKnownJob } from "../jobs/cancel";
import { jobView } from "../jobs/job-view";
import { followJob, receiptPage } from "../jobs/jobs.handlers";
import type * as routes from "./admin.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

function minerView(row: MinerRow, heldJobs: string[]) {
  return {
    miner_id: row.minerId,
    owner_id: row.ownerId,
    region: row.region,
    status: row.status as MinerStatus,
    capabilities: row.capabilities,
    concurrency: row.concurrency,
    reported: row.reported ?? null,
    registered_at: toIso(row.registeredAt)!,
    last_seen_at: toIso(row.lastSeenAt)!,
    held_jobs: heldJobs,
  };
}

/** Runs an admin's call on the shard DO of the miner, wherever it is registered; answers its view. */
async function onMiner(c: Context<AppEnv>, minerId: string, call: (stub: RegionApi) => Promise<Outcome<HeldMiner>>) {
  const locate = async () => {
    const placement = await findPlacement(c.env.DB, minerId);
    if (!placement) throw new ApiError("MINER_NOT_FOUND", "no miner has this id");
    return { minerId, region: placement.region };
  };
  const { miner, heldJobs } = await callMiner(c.env, c.get("config"), locate, call);
  return minerView(minerRow(miner), heldJobs);
}

export const stats: Handler<typeof routes.stats> = async (c) => {
  const db = createDb(c.env.DB);
  const [jobs, miners, shards] = await Promise.all([jobStats(db, Date.now()), minerStats(db), collectShardStats(c.env, c.get("config"))]);
  const total = Object.values(jobs.byState).reduce((a, b) => a + b, 0);
  const finished = FINAL_STATES.reduce((n, s) => n + jobs.byState[s], 0);
  const regionNames = new Set([...c.get("config").regions.map((r) => r.name), ...jobs.byRegion.map((r) => r.region)]);
  return c.json(
    {
      jobs: { total, by_state: jobs.byState, active: total - finished },
      miners: { by_status: miners.byStatus },
      regions: [...regionNames].map((region) => {
        const r = jobs.byRegion.find((x) => x.region === region);
        return {
          region,
          queued: r?.queued ?? 0,
          running: r?.running ?? 0,
          online_miners: miners.onlineByRegion[region] ?? 0,
          oldest_queued_age_seconds: r?.oldestQueuedAgeSeconds ?? null,
        };
      }),
      shards,
      spills: shards.reduce((n, s) => n + s.spilled_in, 0),
      steals: shards.reduce((n, s) => n + s.stolen_in, 0),
      average_job_duration_ms: jobs.averageDurationMs,
    },
    200,
  );
};

export const statsHistory: Handler<typeof routes.statsHistory> = async (c) => {
  const { minutes } = c.req.valid("query");
  return c.json({ minutes, regions: await collectHistory(c.env, c.get("config"), minutes, Date.now()) }, 200);
};

export const listJobs: Handler<typeof routes.listJobs> = async (c) => {
  const q = c.req.valid("query");
  const page = await selectJobs(
    createDb(c.env.DB),
    { state: q.state, region: q.region, clientId: q.client_id, minerId: q.miner_id },
    q.limit,
    q.cursor,
  );
  return c.json({ items: page.items.map((row) => ({ ...jobView(row), client_id: row.clientId })), next_cursor: page.nextCursor }, 200);
};

export const getJob: Handler<typeof routes.getJob> = async (c) => {
  const db = createDb(c.env.DB);
  const { job_id: jobId } = c.req.valid("param");
  const [job, rows] = await Promise.all([anyJob(db, jobId), selectJobEvents(db, jobId)]);
  const events = rows.map((e) => ({
    seq: e.seq,
    type: e.type,
    from_state: e.fromState as JobState | null,
    to_state: e.toState as JobState,
    at: toIso(e.at)!,
    miner_id: e.minerId,
    lease_id: e.leaseId,
    detail: e.detail ?? null,
    trace_id: e.traceId,
    span_id: e.spanId,
  }));
  return c.json({ ...jobView(job), client_id: job.clientId, payload: job.payload, result: job.result ?? null, events }, 200);
};

async function anyJob(db: Db, jobId: string) {
  const job = await selectJob(db, jobId);
  if (!job) throw new ApiError("JOB_NOT_FOUND", "job not found");
  return job;
}

export const listJobReceipts: Handler<typeof routes.listJobReceipts> = async (c) => {
  const db = createDb(c.env.DB);
  const job = await anyJob(db, c.req.valid("param").job_id);
  return c.json(await receiptPage(db, job.jobId, c.req.valid("query")), 200);
};

export const jobEvents: Handler<typeof routes.jobEvents> = async (c) => {
  const job = await anyJob(createDb(c.env.DB), c.req.valid("param").job_id);
  return followJob(c, job, c.req.valid("header")["last-event-id"] ?? c.req.valid("query").after);
};

export const cancelJob: Handler<typeof routes.cancelJob> = async (c) => {
  const job = await anyJob(createDb(c.env.DB), c.req.valid("param").job_id);
  return c.json({ ...(await cancelKnownJob(c.env, c.get("config"), job, c.get("span"))), client_id: job.clientId }, 200);
};

export const listMiners: Handler<typeof routes.listMiners> = async (c) => {
  const q = c.req.valid("query");
  const page = await selectMiners(createDb(c.env.DB), { status: q.status, region: q.region }, q.limit, q.cursor);
  const held = await heldJobsOf(c.env, c.get("config"), page.items);
  return c.json({ items: page.items.map((row) => minerView(row, held.get(row.minerId) ?? [])), next_cursor: page.nextCursor }, 200);
};

export const drainMiner: Handler<typeof routes.drainMiner> = async (c) => {
  const { miner_id: minerId } = c.req.valid("param");
  return c.json(await onMiner(c, minerId, (stub) => stub.drainByAdmin(minerId)), 200);
};

export const undrainMiner: Handler<typeof routes.undrainMiner> = async (c) => {
  const { miner_id: minerId } = c.req.valid("param");
  return c.json(await onMiner(c, minerId, (stub) => stub.undrainByAdmin(minerId)), 200);
};

export const reissueReceipt: Handler<typeof routes.reissueReceipt> = async (c) => {
  const db = createDb(c.env.DB);
  const { job_id: jobId } = c.req.valid("param");
  const previous = await latestReceipt(db, jobId);
  if (!previous) throw new ApiError("RECEIPT_NOT_FOUND", "no receipt has been issued for this job");
  const receipt = await reissue(previous, await loadReceiptKeyring(c.get("config")));
  if (!receipt) throw new ApiError("CONFLICT_STATE", "receipts are disabled: no RECEIPT_SIGNING_KEY_HEX is set");
  try {
    await appendReceipt(db, receipt, Date.now());
  } catch {
    throw new ApiError("CONFLICT_STATE", "another re-issue of this receipt happened at the same time; try again");
  }
  return c.json(receipt, 201);
};
