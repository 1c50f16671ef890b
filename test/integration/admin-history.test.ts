// GET /v1/admin/stats/history over HTTP (regions local, eu-west and us-east, one shard each). Each test
// file runs with storage of its own, and each test here uses a region of its own, so the counts are exact.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { bucketOf, bucketValue } from "../../src/lib/histogram";
import { toIso } from "../../src/lib/time";
import { MinuteLog } from "../../src/queue/minute-log";
import { MINUTE_MS, minuteOf } from "../../src/queue/minute-stats";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import type { HistoryPoint as Point } from "../../src/routing/shard-history";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { regionByName } from "../helpers/region";

const config = getConfig(env);

async function history(minutes?: number): Promise<Record<string, Point[]>> {
  const res = await call("GET", `/v1/admin/stats/history${minutes === undefined ? "" : `?minutes=${minutes}`}`, { key: "admin" });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.regions.map((r: { region: string; points: Point[] }) => [r.region, r.points]));
}

const sum = (points: Point[], field: "completed" | "failed" | "canceled" | "expired") => points.reduce((n, p) => n + p[field], 0);

/** A miner of its own GPU in `region`, and `jobs` jobs only it fits. */
async function minerWithJobs(region: string, jobs: number) {
  const gpu = uniqueName("gpu");
  const minerId = uniqueName("m");
  await registerMiner(minerId, { region, concurrency: jobs, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push((await submit({ payload: { i }, constraints: { region, gpu } })).body.job_id);
  return { minerId, ids };
}

describe("GET /v1/admin/stats/history", () => {
  it("answers 60 empty minutes for every configured region by default, oldest first, ending with the current minute", async () => {
    const before = minuteOf(Date.now());
    const res = await call("GET", "/v1/admin/stats/history", { key: "admin" });
    const after = minuteOf(Date.now());
    expect(res.status).toBe(200);
    expect(res.body.minutes).toBe(60);
    expect(res.body.regions.map((r: { region: string }) => r.region)).toEqual(config.regions.map((r) => r.name));
    for (const { points } of res.body.regions as { points: Point[] }[]) {
      expect(points).toHaveLength(60);
      const minutes = points.map((p) => Date.parse(p.minute));
      expect(minutes.slice(1).map((m, i) => m - minutes[i]!)).toEqual(Array(59).fill(MINUTE_MS));
      expect(minutes[59]).toBeGreaterThanOrEqual(before);
      expect(minutes[59]).toBeLessThanOrEqual(after);
      expect(points[0]).toEqual({
        minute: toIso(minutes[0]!),
        queued: 0,
        running: 0,
        completed: 0,
        failed: 0,
        canceled: 0,
        expired: 0,
        wait_p50_ms: null,
        wait_p95_ms: null,
        run_p50_ms: null,
        run_p95_ms: null,
      });
    }
  });

  it("counts completed and failed jobs in the minute they ended, in their region only, with plausible wait and run times", async () => {
    const { minerId, ids } = await minerWithJobs("eu-west", 2);
    const started = Date.now();
    const polled = await pollAs(minerId, { max_wait_seconds: 0, max_jobs: 2 });
    expect(polled.body.items).toHaveLength(2);
    const [done, broken] = polled.body.items as { job_id: string; lease_id: string }[];
    await minerCall(minerId, `/v1/miners/${done!.job_id}/result`, { lease_id: done!.lease_id, result: {} });
    await minerCall(minerId, `/v1/miners/${broken!.job_id}/fail`, { lease_id: broken!.lease_id, retryable: false });
    const elapsed = Date.now() - started;
    expect(ids.sort()).toEqual([done!.job_id, broken!.job_id].sort());

    // Two minutes, in case one ended while the jobs ran.
    const points = await history(2);
    expect([sum(points["eu-west"]!, "completed"), sum(points["eu-west"]!, "failed")]).toEqual([1, 1]);
    for (const region of ["local", "us-east"]) expect(sum(points[region]!, "completed") + sum(points[region]!, "failed")).toBe(0);
    const busy = points["eu-west"]!.find((p) => p.completed > 0)!;
    const bound = elapsed * 1.05 + 1;
    for (const ms of [busy.wait_p50_ms, busy.wait_p95_ms, busy.run_p50_ms, busy.run_p95_ms]) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(bound);
    }
    expect(busy.run_p95_ms).toBeGreaterThanOrEqual(busy.run_p50_ms!);
    expect(points["eu-west"]![1]).toMatchObject({ queued: 0, running: 0 });
  });

  it("shows the queue as it is now in the current minute, and cancels as they happen", async () => {
    const { minerId, ids } = await minerWithJobs("us-east", 3);
    await pollAs(minerId, { max_wait_seconds: 0, max_jobs: 1 });
    expect((await history(1))["us-east"]![0]).toMatchObject({ queued: 2, running: 1 });
    const queued = await call("GET", "/v1/admin/jobs?state=QUEUED&region=us-east", { key: "admin" });
    const cancelId = queued.body.items[0].job_id as string;
    expect(ids).toContain(cancelId);
    expect((await call("POST", `/v1/admin/jobs/${cancelId}/cancel`, { key: "admin" })).status).toBe(200);
    const points = await history(2);
    expect(points["us-east"]![1]).toMatchObject({ queued: 1, running: 1 });
    expect(sum(points["us-east"]!, "canceled")).toBe(1);
  });

  it("puts what a shard counted in earlier minutes at those minutes, and carries the last depth sampled over the minutes after", async () => {
    // Over HTTP the DO's clock cannot go back in time (its alarm would be due in the past, again and
    // again), so the earlier minutes are written with the DO's own storage class, as its events would.
    const now = minuteOf(Date.now());
    const [m4, m3] = [now - 4 * MINUTE_MS, now - 3 * MINUTE_MS];
    await runInDurableObject(regionByName("local").stub, (_: RegionCoordinator, state) => {
      const log = new MinuteLog(state.storage.sql);
      for (const ms of [2000, 2000, 9000]) log.record({ kind: "completed", bucket: bucketOf(ms) }, m3 + 5000);
      log.record({ kind: "failed", bucket: bucketOf(500) }, m3 + 59_000);
      log.record({ kind: "wait", bucket: bucketOf(40) }, m3 + 1000);
      log.putDepth(m4 + 59_000, { queued: 7, running: 3 });
    });
    const res = await call("GET", "/v1/admin/stats/history?minutes=6", { key: "admin" });
    const points: Point[] = res.body.regions.find((r: { region: string }) => r.region === "local").points;
    const at = (minute: number) => points.find((p) => p.minute === toIso(minute))!;
    expect(at(m3)).toEqual({
      minute: toIso(m3),
      queued: 7,
      running: 3,
      completed: 3,
      failed: 1,
      canceled: 0,
      expired: 0,
      wait_p50_ms: bucketValue(bucketOf(40)),
      wait_p95_ms: bucketValue(bucketOf(40)),
      run_p50_ms: bucketValue(bucketOf(2000)),
      run_p95_ms: bucketValue(bucketOf(9000)),
    });
    expect(at(m4 - MINUTE_MS)).toMatchObject({ queued: 0, running: 0 });
    expect(at(m4)).toMatchObject({ queued: 7, running: 3, completed: 0, run_p50_ms: null });
    expect(at(now - MINUTE_MS)).toMatchObject({ queued: 7, running: 3 });
    // The current minute shows the live depth: nothing is queued in local.
    expect(points[5]).toMatchObject({ queued: 0, running: 0 });
  });

  it("refuses a number of minutes that is not a whole number from 1 to 60 with a 422 naming minutes", async () => {
    for (const minutes of ["0", "61", "1.5", "-3", "ten", ""]) {
      const res = await call("GET", `/v1/admin/stats/history?minutes=${minutes}`, { key: "admin" });
      expect(res.status, minutes).toBe(422);
      expect(res.body.error).toMatchObject({ code: "INVALID_PAYLOAD", message: "invalid query string" });
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(["minutes"]);
      expect(res.body.request_id).toEqual(expect.any(String));
    }
    expect(Object.values(await history(1)).map((points) => points.length)).toEqual([1, 1, 1]);
  });
});
