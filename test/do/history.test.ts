// What a region DO records for the admin history, driven through its RPC methods with a pinned clock:
// each job event counted in its minute, the depth sampled by the alarm at each minute's end, minutes
// past the history forgotten.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { bucketOf, bucketValue, percentile } from "../../src/lib/histogram";
import { MINUTE_MS, shardFigures, windowOf } from "../../src/queue/minute-stats";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { alarmAt, freshRegion, minerCall, newJob, type RegionStub, regionWithMiner, registration, setClock, T0 } from "../helpers/region";

const at = (minute: number, seconds = 0) => T0 + minute * MINUTE_MS + seconds * 1000;

const alarmOf = (stub: RegionStub) => runInDurableObject(stub, (_: RegionCoordinator, state) => state.storage.getAlarm());

describe("per-minute counts", () => {
  it("counts each lease, completion, failure and cancel in the minute it happened, with its wait or run time", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: at(0, 10), concurrency: 2 });
    const [a, b, c] = [newJob(name), newJob(name), newJob(name, { priority: -1 })];
    await api.enqueueBatch([a, b, c]);

    await setClock(stub, at(1, 5));
    const first = await api.poll(call, 2, 0);
    if (!first.ok) throw new Error("poll refused");
    await setClock(stub, at(1, 20));
    await api.complete(call, a.jobId, first.value.find((j) => j.job_id === a.jobId)!.lease_id, {}, {});
    await setClock(stub, at(2, 35));
    await api.fail(call, b.jobId, undefined, { code: "BROKEN", message: "" }, false);
    await setClock(stub, at(3, 0));
    await api.cancel(c.jobId, c.clientId);

    const window = windowOf(5, at(4));
    const figures = shardFigures(await api.minuteStats(window[0]!, window[4]!), window);
    expect(figures.map((f) => [f.completed, f.failed, f.canceled, f.expired])).toEqual([
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
    // Both leases happened in minute 1, each after 55 s in the queue.
    expect(percentile(figures[1]!.wait, 0.5)).toBe(bucketValue(bucketOf(55_000)));
    expect(percentile(figures[1]!.run, 0.5)).toBe(bucketValue(bucketOf(15_000)));
    expect(percentile(figures[2]!.run, 0.5)).toBe(bucketValue(bucketOf(90_000)));
  });

  it("counts a job that expires", async () => {
    const { name, stub, api } = await regionWithMiner({ at: at(0) });
    await api.enqueue(newJob(name, { ttlSeconds: 30, constraints: { gpu: "nobody-has-it" } }));
    await alarmAt(stub, at(0, 40));
    const [minute] = shardFigures(await api.minuteStats(at(0), at(0)), [at(0)]);
    expect(minute).toMatchObject({ expired: 1, completed: 0, failed: 0, canceled: 0 });
  });
});

describe("queue depth", () => {
  it("is sampled by the alarm in the last second of each minute while the shard holds jobs, and once more when it is empty", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, at(0, 10));
    const job = newJob(name);
    await api.enqueue(job);
    // Never sampled: due at once.
    expect(await alarmOf(stub)).toBe(at(0, 10));
    await alarmAt(stub, at(0, 10));
    expect(await alarmOf(stub)).toBe(at(0, 59));
    await alarmAt(stub, at(0, 59));
    expect(await alarmOf(stub)).toBe(at(1, 59));

    await setClock(stub, at(1, 30));
    await api.register(registration(name, "m1"));
    const polled = await api.poll(minerCall("m1"), 1, 0);
    expect(polled.ok && polled.value).toHaveLength(1);
    await alarmAt(stub, at(1, 59));
    await setClock(stub, at(2, 10));
    await api.cancel(job.jobId, job.clientId);
    // The shard is empty, but its last sample is not: one more sample says so, then none.
    await alarmAt(stub, at(2, 59));
    expect(await alarmOf(stub)).toBeGreaterThan(at(10));

    const window = windowOf(4, at(3, 30));
    const figures = shardFigures(await api.minuteStats(window[0]!, window[3]!), window);
    // The last minute shows the live depth (what the RPC counts now), not a sample.
    expect(figures.map((f) => [f.queued, f.running])).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
      [0, 0],
    ]);
  });

  it("carries the last sample before the window into it", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, at(0, 10));
    await api.enqueue(newJob(name));
    await alarmAt(stub, at(0, 10));
    const window = windowOf(3, at(5));
    const figures = shardFigures(await api.minuteStats(window[0]!, window[2]!), window);
    expect(figures.map((f) => f.queued)).toEqual([1, 1, 1]);
  });
});

describe("retention", () => {
  it("keeps the minutes of the last hour and the current one, and forgets older ones", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, at(0, 10));
    const job = newJob(name, { ttlSeconds: 86_400 });
    await api.enqueue(job);
    await api.cancel(job.jobId, job.clientId);
    await api.enqueue(newJob(name, { ttlSeconds: 86_400 }));

    await alarmAt(stub, at(60, 30));
    expect((await api.minuteStats(at(0), at(0))).counts).toHaveLength(1);
    await alarmAt(stub, at(61));
    expect((await api.minuteStats(at(0), at(0))).counts).toEqual([]);
  });
});
