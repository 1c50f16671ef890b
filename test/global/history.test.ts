// GET /v1/admin/stats/history with two regions of two shards each (workers-global): every shard is
// asked, and a region's minute is the sum of its shards' (histograms merged, not averaged).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { bucketOf, bucketValue } from "../../src/lib/histogram";
import { toIso } from "../../src/lib/time";
import { MinuteLog } from "../../src/queue/minute-log";
import { MINUTE_MS, minuteOf } from "../../src/queue/minute-stats";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { minerShard } from "../../src/queue/shards";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { regionByName } from "../helpers/region";

const config = getConfig(env);

interface Point {
  minute: string;
  queued: number;
  running: number;
  completed: number;
  run_p50_ms: number | null;
  run_p95_ms: number | null;
}

async function history(minutes: number): Promise<Record<string, Point[]>> {
  const res = await call("GET", `/v1/admin/stats/history?minutes=${minutes}`, { key: "admin" });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.regions.map((r: { region: string; points: Point[] }) => [r.region, r.points]));
}

/** The DO of a shard, by the name the coordinator gives it (shard 0 is the region's own name). */
const shardDo = (region: string, shard: number) => regionByName(shard === 0 ? region : `${region}:${shard}`).stub;

/** A miner id that lands in `shard` of its region. */
function minerIdIn(shard: number): string {
  for (;;) {
    const id = uniqueName("m");
    if (minerShard(id, config.shardsPerRegion) === shard) return id;
  }
}

describe("history over shards", () => {
  it("sums a region's shards minute by minute: counts, depths, and percentiles of the merged histograms", async () => {
    expect(config.shardsPerRegion).toBe(2);
    const now = minuteOf(Date.now());
    const [m4, m3] = [now - 4 * MINUTE_MS, now - 3 * MINUTE_MS];
    // Earlier minutes are written with the DO's own storage class, as its events would write them
    // (over HTTP a DO's clock cannot go back in time).
    const write = (shard: number, runs: number[], depth: { queued: number; running: number }) =>
      runInDurableObject(shardDo("eu-west", shard), (_: RegionCoordinator, state) => {
        const log = new MinuteLog(state.storage.sql);
        for (const ms of runs) log.record({ kind: "completed", bucket: bucketOf(ms) }, m3 + 1000);
        log.putDepth(m4 + 59_000, depth);
      });
    // Ten fast runs in one shard, one slow run in the other: of the 11, the 95th percentile is the slow one.
    await write(0, Array(10).fill(1000), { queued: 2, running: 1 });
    await write(1, [60_000], { queued: 5, running: 0 });

    const points = await history(5);
    expect(Object.keys(points)).toEqual(config.regions.map((r) => r.name));
    const eu = (minute: number) => points["eu-west"]!.find((p) => p.minute === toIso(minute))!;
    expect(eu(m3)).toMatchObject({
      completed: 11,
      queued: 7,
      running: 1,
      run_p50_ms: bucketValue(bucketOf(1000)),
      run_p95_ms: bucketValue(bucketOf(60_000)),
    });
    expect(eu(m4)).toMatchObject({ completed: 0, queued: 7, running: 1 });
    const us = points["us-east"]!.find((p) => p.minute === toIso(m3))!;
    expect(us).toMatchObject({ completed: 0, queued: 0, running: 0 });
  });

  it("counts jobs completed by miners of both shards, each in the shard that ran it", async () => {
    for (const shard of [0, 1]) {
      const gpu = uniqueName("gpu");
      const minerId = minerIdIn(shard);
      await registerMiner(minerId, { region: "us-east", capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
      await submit({ payload: {}, constraints: { region: "us-east", gpu } });
      const lease = await pollAs(minerId);
      expect(lease.status).toBe(200);
      await minerCall(minerId, `/v1/miners/${lease.body.job_id}/result`, { lease_id: lease.body.lease_id, result: {} });
    }
    // Two minutes, in case one ended meanwhile.
    const points = (await history(2))["us-east"]!;
    expect(points.reduce((n, p) => n + p.completed, 0)).toBeGreaterThanOrEqual(2);
    const minute = minuteOf(Date.now());
    for (const shard of [0, 1]) {
      const stub = shardDo("us-east", shard) as unknown as RegionCoordinator;
      const { counts } = await stub.minuteStats(minute - MINUTE_MS, minute);
      expect(counts.filter((c) => c.kind === "completed").length, `shard ${shard}`).toBeGreaterThanOrEqual(1);
    }
  });
});
