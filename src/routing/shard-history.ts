// The per-minute history of every configured region, for GET /v1/admin/stats/history: each shard DO
// answers its own counts (one RPC each), and a region's series is the sum of its shards' (minute-stats.ts).
import type { z } from "@hono/zod-openapi";
import type { Config } from "../config";
import type { HistoryPoint as HistoryPointSchema } from "../http/schemas";
import { percentile } from "../lib/histogram";
import { toIso } from "../lib/time";
import { type MinuteFigures, mergeFigures, shardFigures, windowOf } from "../queue/minute-stats";
import { regionStub } from "./region-stub";

export type HistoryPoint = z.infer<typeof HistoryPointSchema>;

/** `minutes` points per configured region, oldest first, the last one the minute `now` falls in. */
export async function collectHistory(env: Env, config: Config, minutes: number, now: number) {
  const window = windowOf(minutes, now);
  const from = window[0]!;
  const to = window[window.length - 1]!;
  return Promise.all(
    config.regions.map(async ({ name: region }) => {
      const shards = await Promise.all(
        Array.from({ length: config.shardsPerRegion }, (_, shard) => regionStub(env, config, region, shard).minuteStats(from, to)),
      );
      const merged = mergeFigures(
        shards.map((activity) => shardFigures(activity, window)),
        window,
      );
      return { region, points: merged.map(pointOf) };
    }),
  );
}

function pointOf(f: MinuteFigures): HistoryPoint {
  return {
    minute: toIso(f.minute)!,
    queued: f.queued,
    running: f.running,
    completed: f.completed,
    failed: f.failed,
    canceled: f.canceled,
    expired: f.expired,
    wait_p50_ms: percentile(f.wait, 0.5),
    wait_p95_ms: percentile(f.wait, 0.95),
    run_p50_ms: percentile(f.run, 0.5),
    run_p95_ms: percentile(f.run, 0.95),
  };
}
