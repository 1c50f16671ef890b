// Prometheus text exposition of what GET /v1/admin/stats reports, for scrapers (admin key).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createDb } from "../db/client";
import { jobStats } from "../db/queries/jobs";
import { minerStats } from "../db/queries/miners";
import { requireRole } from "../http/middleware/auth";
import { rateLimitPrincipal } from "../http/middleware/rate-limit";
import { apiRoute, keyAuth } from "../http/openapi-errors";
import { type AppEnv, createRouter } from "../http/router";
import { JOB_STATES } from "../model/job";
import { MINER_STATUSES } from "../model/miner";
import { collectShardStats, type ShardStats } from "../routing/shard-stats";

type Sample = [labels: Record<string, string>, value: number];

function family(name: string, help: string, samples: Sample[]): string {
  const lines = samples.map(([labels, value]) => {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
      .join(",");
    return `${name}${text ? `{${text}}` : ""} ${value}`;
  });
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...lines].join("\n");
}

export async function renderMetrics(c: Context<AppEnv>): Promise<string> {
  const db = createDb(c.env.DB);
  const [jobs, miners, shards] = await Promise.all([jobStats(db, Date.now()), minerStats(db), collectShardStats(c.env, c.get("config"))]);
  const perShard = (pick: (s: ShardStats) => number | null): Sample[] =>
    shards.filter((s) => pick(s) !== null).map((s) => [{ region: s.region, shard: String(s.shard) }, pick(s)!]);
  const families = [
    family(
      "edge_coordinator_jobs",
      "Jobs by state.",
      JOB_STATES.map((s) => [{ state: s }, jobs.byState[s]]),
    ),
    family(
      "edge_coordinator_miners",
      "Miners by status.",
      MINER_STATUSES.map((s) => [{ status: s }, miners.byStatus[s]]),
    ),
    family(
      "edge_coordinator_region_queued_jobs",
      "Queued jobs per region.",
      jobs.byRegion.map((r) => [{ region: r.region }, r.queued]),
    ),
    family(
      "edge_coordinator_region_running_jobs",
      "Running jobs per region.",
      jobs.byRegion.map((r) => [{ region: r.region }, r.running]),
    ),
    family(
      "edge_coordinator_region_online_miners",
      "Online miners per region.",
      Object.entries(miners.onlineByRegion).map(([region, n]) => [{ region }, n]),
    ),
    family(
      "edge_coordinator_region_oldest_queued_age_seconds",
      "Age of the oldest queued job per region.",
      jobs.byRegion.filter((r) => r.oldestQueuedAgeSeconds !== null).map((r) => [{ region: r.region }, r.oldestQueuedAgeSeconds!]),
    ),
    family(
      "edge_coordinator_shard_queued_jobs",
      "Queued jobs per shard (live, from the shard).",
      perShard((s) => s.queued),
    ),
    family(
      "edge_coordinator_shard_running_jobs",
      "Running jobs per shard.",
      perShard((s) => s.running),
    ),
    family(
      "edge_coordinator_shard_online_miners",
      "Online miners per shard.",
      perShard((s) => s.online_miners),
    ),
    family(
      "edge_coordinator_shard_oldest_queued_age_seconds",
      "Age of the oldest queued job per shard.",
      perShard((s) => s.oldest_queued_age_seconds),
    ),
    family(
      "edge_coordinator_shard_spilled_in_jobs",
      "Jobs a shard took from other regions since it started.",
      perShard((s) => s.spilled_in),
    ),
    family(
      "edge_coordinator_shard_stolen_in_jobs",
      "Jobs a shard took from sibling shards since it started.",
      perShard((s) => s.stolen_in),
    ),
    family(
      "edge_coordinator_job_duration_average_ms",
      "Average duration of completed jobs.",
      jobs.averageDurationMs === null ? [] : [[{}, jobs.averageDurationMs]],
    ),
  ];
  return `${families.join("\n")}\n`;
}

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const metrics = apiRoute({
  method: "get",
  path: "/metrics",
  operationId: "metrics",
  summary: "Prometheus metrics",
  description:
    "What GET /v1/admin/stats reports, as Prometheus text exposition (version 0.0.4) for scrapers: gauges of jobs by state, miners by status, and queue figures per region and per shard. Needs an admin key.",
  tags: ["Service"],
  security: keyAuth,
  responses: {
    200: {
      description: "Prometheus text: a HELP and a TYPE line per metric family, then one sample per line",
      content: {
        [CONTENT_TYPE]: {
          schema: z.string().openapi({
            description:
              "Families: edge_coordinator_jobs{state}, edge_coordinator_miners{status}, edge_coordinator_region_{queued_jobs,running_jobs,online_miners,oldest_queued_age_seconds}{region}, edge_coordinator_shard_{queued_jobs,running_jobs,online_miners,oldest_queued_age_seconds,spilled_in_jobs,stolen_in_jobs}{region,shard}, edge_coordinator_job_duration_average_ms",
            example: `# HELP edge_coordinator_jobs Jobs by state.
# TYPE edge_coordinator_jobs gauge
edge_coordinator_jobs{state="QUEUED"} 4
edge_coordinator_jobs{state="RUNNING"} 2
# HELP edge_coordinator_region_queued_jobs Queued jobs per region.
# TYPE edge_coordinator_region_queued_jobs gauge
edge_coordinator_region_queued_jobs{region="eu-west"} 4
`,
          }),
        },
      },
    },
  },
});

export const metricsRouter = createRouter();
metricsRouter.use("/metrics", requireRole("admin"), rateLimitPrincipal);
metricsRouter.openapi(metrics, async (c) =>
  c.text(await renderMetrics(c), 200, { "Content-Type": CONTENT_TYPE, "Cache-Control": "no-store" }),
);
