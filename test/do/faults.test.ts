import { abortAllDurableObjects, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import type { RegionQueue } from "../../src/queue/region-queue";
import type { Store } from "../../src/queue/store";
import {
  alarmAt,
  d1Events,
  d1Job,
  d1Sessions,
  freshRegion,
  leasedJob,
  liveJob,
  minerCall,
  newJob,
  outboxSize,
  type RegionStub,
  regionByName,
  regionWithMiner,
  registration,
  setClock,
  setD1Failing,
  T0,
} from "../helpers/region";
import { captureWarnings } from "../helpers/warnings";

const HEARTBEAT_TIMEOUT_MS = 30_000;

/** Makes the next call of `target[method]` fail with `error` (a rejection when `rejects`), and later calls work as before. */
function failNextCall<T extends object>(target: T, method: keyof T, error: Error, rejects = false): void {
  const original = target[method];
  Object.assign(target, {
    [method]: () => {
      Object.assign(target, { [method]: original });
      if (rejects) return Promise.reject(error);
      throw error;
    },
  });
}

describe("dead miners", () => {
  it("requeues a dead miner's job; a second miner completes it; the first miner's late result is refused", async () => {
    const { name, stub, api } = await regionWithMiner({ at: T0, minerId: "slow" });
    await api.register(registration(name, "fast"));
    const job = newJob(name);
    await api.enqueue(job);
    const first = await api.poll(minerCall("slow"), 1, 0);
    if (!first.ok) throw new Error("poll refused");
    expect(first.value[0]!.job_id).toBe(job.jobId);

    // "fast" keeps heartbeating; "slow" goes silent past the timeout.
    await setClock(stub, T0 + HEARTBEAT_TIMEOUT_MS - 1000);
    await api.heartbeat(minerCall("fast"), {});
    expect(await alarmAt(stub, T0 + HEARTBEAT_TIMEOUT_MS + 1)).toBe(true);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "QUEUED", attempts: 1, minerId: null });

    const second = await api.poll(minerCall("fast"), 1, 0);
    if (!second.ok) throw new Error("poll refused");
    expect(second.value[0]).toMatchObject({ job_id: job.jobId, attempt: 2 });
    const done = await api.complete(minerCall("fast"), job.jobId, second.value[0]!.lease_id, { ok: 1 }, {});
    expect(done.ok).toBe(true);

    const late = await api.complete(minerCall("slow"), job.jobId, first.value[0]!.lease_id, { stale: 1 }, {});
    expect(late).toMatchObject({ ok: false, code: "LEASE_LOST" });
    expect(await d1Job(job.jobId)).toMatchObject({ state: "COMPLETED", assigned_miner_id: "fast", attempts: 1 });
    expect(await d1Events(job.jobId)).toEqual(["submitted", "leased", "lease_lost", "leased", "completed"]);
    expect(await d1Sessions(job.jobId)).toEqual([
      { minerId: "slow", attempt: 1, ended: true, exitReason: "lease_lost" },
      { minerId: "fast", attempt: 2, ended: true, exitReason: "completed" },
    ]);
  });

  it("keeps a lease for a full timeout after the miner's last sign of life, even one that did not re-date the lease's row", async () => {
    const { stub, api, call, job } = await leasedJob({ at: T0 });
    // Too soon after the lease for its row to be re-dated: the row still says T0 + timeout.
    const lastSign = T0 + HEARTBEAT_TIMEOUT_MS / 5;
    await setClock(stub, lastSign);
    await api.heartbeat(call, {});
    expect(await alarmAt(stub, T0 + HEARTBEAT_TIMEOUT_MS + 1)).toBe(true);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "RUNNING", leaseExpiresAt: lastSign + HEARTBEAT_TIMEOUT_MS });
    expect(await alarmAt(stub, lastSign + HEARTBEAT_TIMEOUT_MS)).toBe(true);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "QUEUED", attempts: 1, minerId: null });
  });

  it("marks a silent miner OFFLINE by alarm and brings it back ONLINE on heartbeat, its old lease still lost", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    await alarmAt(stub, T0 + HEARTBEAT_TIMEOUT_MS);
    const { env } = await import("cloudflare:workers");
    const status = () => env.DB.prepare("SELECT status FROM miners WHERE miner_id = 'm1'").first<{ status: string }>();
    expect((await status())!.status).toBe("OFFLINE");
    await api.heartbeat(call, {});
    expect((await status())!.status).toBe("ONLINE");
    const late = await api.fail(call, job.jobId, lease.lease_id, { code: "X", message: "" }, true);
    expect(late).toMatchObject({ ok: false, code: "LEASE_LOST" });
  });

  it("counts every result as a sign of life: a taken one in its commit, a refused one too", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0, concurrency: 2 });
    const lastSeen = () =>
      runInDurableObject(
        stub,
        (_instance: RegionCoordinator, state) =>
          state.storage.sql.exec<{ t: number }>("SELECT last_seen_at AS t FROM miners WHERE miner_id = ?", call.minerId).one().t,
      );
    await setClock(stub, T0 + 5000);
    expect((await api.complete(call, job.jobId, lease.lease_id, { ok: 1 }, {})).ok).toBe(true);
    expect(await lastSeen()).toBe(T0 + 5000);

    const second = newJob(job.region);
    await api.enqueue(second);
    const polled = await api.poll(call, 1, 0);
    if (!polled.ok) throw new Error("poll refused");
    expect(await alarmAt(stub, T0 + 5000 + HEARTBEAT_TIMEOUT_MS)).toBe(true);
    const status = () =>
      runInDurableObject(
        stub,
        (_instance: RegionCoordinator, state) =>
          state.storage.sql.exec<{ status: string }>("SELECT status FROM miners WHERE miner_id = ?", call.minerId).one().status,
      );
    expect(await status()).toBe("OFFLINE");
    const late = await api.complete(call, second.jobId, polled.value[0]!.lease_id, { late: 1 }, {});
    expect(late).toMatchObject({ ok: false, code: "LEASE_LOST" });
    expect(await status()).toBe("ONLINE");
  });

  it("fails a job whose last attempt's miner died", async () => {
    const { stub, job } = await leasedJob({ at: T0, job: { maxAttempts: 1 } });
    await alarmAt(stub, T0 + HEARTBEAT_TIMEOUT_MS);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "FAILED", attempts: 1, error: { code: "LEASE_EXPIRED" } });
  });

  it("keeps a miner alive while its long-poll is parked", async () => {
    const { stub, api, call, lease } = await leasedJob({ at: T0, concurrency: 2 });
    const parked = api.poll(call, 1, 2);
    await new Promise((r) => setTimeout(r, 50));
    await alarmAt(stub, T0 + HEARTBEAT_TIMEOUT_MS + 1);
    expect(await liveJob(stub, lease.job_id)).toMatchObject({ state: "RUNNING" });
    expect(await parked).toEqual({ ok: true, value: [] });
  });
});

describe("retries and expiry", () => {
  it("does not offer a retried job again before its backoff has passed", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    const failed = await api.fail(call, job.jobId, lease.lease_id, { code: "OOM", message: "oom" }, true);
    expect(failed).toEqual({ ok: true, value: { state: "QUEUED" } });
    // RETRY_BACKOFF_BASE_SECONDS is 2: the first retry waits 2 s, the second 4 s.
    await setClock(stub, T0 + 1999);
    expect(await api.poll(call, 1, 0)).toEqual({ ok: true, value: [] });
    await setClock(stub, T0 + 2000);
    const again = await api.poll(call, 1, 0);
    if (!again.ok) throw new Error("poll refused");
    expect(again.value[0]).toMatchObject({ job_id: job.jobId, attempt: 2 });
    await api.fail(call, job.jobId, again.value[0]!.lease_id, { code: "OOM", message: "oom" }, true);
    await setClock(stub, T0 + 2000 + 3999);
    expect(await api.poll(call, 1, 0)).toEqual({ ok: true, value: [] });
    await setClock(stub, T0 + 2000 + 4000);
    const third = await api.poll(call, 1, 0);
    if (!third.ok) throw new Error("poll refused");
    await api.fail(call, job.jobId, third.value[0]!.lease_id, { code: "OOM", message: "last" }, true);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "FAILED", attempts: 3, error: { code: "OOM", message: "last" } });
  });

  it("hands a job whose backoff ends to a parked poll, woken by the alarm", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    await api.fail(call, job.jobId, lease.lease_id, { code: "E", message: "" }, true);
    const parked = api.poll(call, 1, 10);
    await new Promise((r) => setTimeout(r, 50));
    await alarmAt(stub, T0 + 2000);
    const res = await parked;
    expect(res.ok && res.value[0]?.job_id).toBe(job.jobId);
  });

  it("expires a QUEUED job by alarm, unread", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, T0);
    const job = newJob(name, { ttlSeconds: 5 });
    await api.enqueue(job);
    await alarmAt(stub, T0 + 5000);
    expect(await d1Job(job.jobId)).toMatchObject({ state: "EXPIRED" });
  });

  it("records a step the alarm takes in the job's trace, as a span of its own", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, T0);
    const submit = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };
    const job = newJob(name, { ttlSeconds: 5, traceId: submit.traceId });
    await api.enqueue(job, submit);
    await alarmAt(stub, T0 + 5000);
    const rows = await env.DB.prepare("SELECT type, trace_id, span_id FROM job_events WHERE job_id = ? ORDER BY seq")
      .bind(job.jobId)
      .all<{ type: string; trace_id: string; span_id: string }>();
    expect(rows.results.map((r) => [r.type, r.trace_id])).toEqual([
      ["submitted", submit.traceId],
      ["expired", submit.traceId],
    ]);
    expect(rows.results[0]!.span_id).toBe(submit.spanId);
    expect(rows.results[1]!.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(rows.results[1]!.span_id).not.toBe(submit.spanId);
  });

  it("expires a RUNNING job and tells its miner through cancel on the next heartbeat", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0, job: { ttlSeconds: 10 } });
    await setClock(stub, T0 + 9000);
    await api.heartbeat(call, {});
    await alarmAt(stub, T0 + 10_000);
    expect(await d1Job(job.jobId)).toMatchObject({ state: "EXPIRED" });
    expect(await api.heartbeat(call, {})).toEqual({ ok: true, value: { cancel: [job.jobId], drain: false } });
    expect(await api.heartbeat(call, {})).toEqual({ ok: true, value: { cancel: [], drain: false } });
    const late = await api.complete(call, job.jobId, lease.lease_id, {}, {});
    expect(late).toMatchObject({ ok: false, code: "LEASE_LOST" });
  });

  it("keeps a pending cancel across an eviction until the miner's next heartbeat", async () => {
    const { stub, api, call, job } = await leasedJob({ at: T0 });
    expect((await api.cancel(job.jobId, "cli_test")).ok).toBe(true);
    await evictDurableObject(stub);
    await setClock(stub, T0 + 1000);
    expect(await api.heartbeat(call, {})).toEqual({ ok: true, value: { cancel: [job.jobId], drain: false } });
    expect(await api.heartbeat(call, {})).toEqual({ ok: true, value: { cancel: [], drain: false } });
  });
});

describe("exactly one outcome", () => {
  it("lets a cancel racing a result end the job exactly one way", async () => {
    for (let round = 0; round < 5; round++) {
      const { api, call, job, lease } = await leasedJob({ at: T0 });
      const [canceled, completed] = await Promise.all([
        api.cancel(job.jobId, "cli_test"),
        api.complete(call, job.jobId, lease.lease_id, { r: round }, {}),
      ]);
      const final = await d1Job(job.jobId);
      if (final!.state === "CANCELED") {
        expect(canceled.ok).toBe(true);
        expect(completed).toMatchObject({ ok: false, code: "LEASE_LOST" });
      } else {
        expect(final!.state).toBe("COMPLETED");
        expect(completed.ok).toBe(true);
        expect(canceled).toMatchObject({ ok: false, code: "CONFLICT_STATE" });
      }
    }
  });

  it("issues one receipt for two concurrent identical results", async () => {
    const { env } = await import("cloudflare:workers");
    const { api, call, job, lease } = await leasedJob({ at: T0 });
    const send = () => api.complete(call, job.jobId, lease.lease_id, { same: true }, { units: 1 });
    const [a, b] = await Promise.all([send(), send()]);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(a.value.receipt).toEqual(b.value.receipt);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM receipts WHERE job_id = ?").bind(job.jobId).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("leases each of 50 jobs exactly once to 200 concurrent polls", async () => {
    const { name, stub, api } = freshRegion();
    await setClock(stub, T0);
    const miners = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await Promise.all(miners.map((m) => api.register(registration(name, m))));
    for (let i = 0; i < 50; i++) await api.enqueue(newJob(name));
    const polls = await Promise.all(miners.map((m) => api.poll(minerCall(m), 1, 0)));
    const leased = polls.flatMap((p) => (p.ok ? p.value.map((j) => j.job_id) : []));
    expect(leased).toHaveLength(50);
    expect(new Set(leased).size).toBe(50);
  });

  it("never moves a job out of a final state", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0 });
    const job = newJob(name, { ttlSeconds: 5 });
    await api.enqueue(job);
    await api.cancel(job.jobId, "cli_test");
    await alarmAt(stub, T0 + 10_000);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "CANCELED" });
    expect(await api.poll(call, 1, 0)).toEqual({ ok: true, value: [] });
  });
});

describe("drain", () => {
  it("lets a draining miner finish what it holds but gives it nothing new", async () => {
    const { name, api, call, job: held, lease } = await leasedJob({ at: T0, concurrency: 2 });
    await api.drain(call);
    await api.enqueue(newJob(name));
    expect(await api.poll(call, 1, 0)).toEqual({ ok: true, value: [] });
    expect((await api.complete(call, held.jobId, lease.lease_id, {}, {})).ok).toBe(true);
  });
});

describe("DO and D1 convergence", () => {
  it("keeps every change in the outbox while D1 fails and converges in order after it recovers", async () => {
    const warnings = captureWarnings();
    const { name, stub, api, call } = await regionWithMiner({ at: T0 });
    await setD1Failing(stub, true);
    const job = newJob(name);
    expect((await api.enqueue(job)).ok).toBe(true);
    const lease = await api.poll(call, 1, 0);
    if (!lease.ok) throw new Error("poll refused");
    expect((await api.complete(call, job.jobId, lease.value[0]!.lease_id, { v: 1 }, {})).ok).toBe(true);
    expect(await d1Job(job.jobId)).toBeNull();
    expect(await outboxSize(stub)).toBeGreaterThan(0);

    await setD1Failing(stub, false);
    expect(await alarmAt(stub, T0 + 1000)).toBe(true);
    expect(await outboxSize(stub)).toBe(0);
    expect(await d1Job(job.jobId)).toMatchObject({ state: "COMPLETED", version: 3 });
    expect(await d1Events(job.jobId)).toEqual(["submitted", "leased", "completed"]);
    expect(warnings.length).toBeGreaterThan(0);
    for (const line of warnings)
      expect(JSON.parse(line)).toMatchObject({ msg: "outbox flush failed; will retry", error: "Error: injected D1 outage" });
  });

  it("delivers outbox rows kept one write per row, as before DO migration 7, after migrating them", async () => {
    const warnings = captureWarnings();
    const { name, stub, api } = await regionWithMiner({ at: T0 });
    await setD1Failing(stub, true);
    const job = newJob(name);
    expect((await api.enqueue(job)).ok).toBe(true);
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const sql = state.storage.sql;
      const writes = sql
        .exec<{ write: string }>("SELECT write FROM outbox ORDER BY seq")
        .toArray()
        .flatMap((r) => JSON.parse(r.write));
      expect(writes.map((w: { kind: string }) => w.kind)).toEqual(["job", "event"]);
      sql.exec("DELETE FROM outbox");
      for (const write of writes) sql.exec("INSERT INTO outbox (write) VALUES (?)", JSON.stringify(write));
      sql.exec("DELETE FROM _migrations WHERE id >= 7");
    });
    await evictDurableObject(stub);

    expect(await alarmAt(stub, T0 + 1000)).toBe(true);
    expect(await outboxSize(stub)).toBe(0);
    expect(await d1Job(job.jobId)).toMatchObject({ state: "QUEUED", version: 1 });
    expect(await d1Events(job.jobId)).toEqual(["submitted"]);
    expect(warnings.map((line) => JSON.parse(line).msg)).toEqual(["outbox flush failed; will retry"]);
  });

  it("stops holding the pending outbox in memory past HELD_BYTES, flushes from the table, and holds it again once empty", async () => {
    const warnings = captureWarnings();
    const { name, stub, api } = await regionWithMiner({ at: T0 });
    const holds = () =>
      runInDurableObject(stub, (instance: RegionCoordinator) => (instance as unknown as { store: Store }).store.outbox.holdsPending());
    // A first flush reads the table once; from then on the outbox holds what is pending.
    expect((await api.enqueue(newJob(name))).ok).toBe(true);
    expect(await holds()).toBe(true);
    await setD1Failing(stub, true);
    const bulky = Array.from({ length: 9 }, () => newJob(name, { payload: { blob: "x".repeat(1024 * 1024) } }));
    for (const job of bulky) expect((await api.enqueue(job)).ok).toBe(true);
    expect(await holds()).toBe(false);

    await setD1Failing(stub, false);
    expect(await alarmAt(stub, T0 + 1000)).toBe(true);
    expect(await outboxSize(stub)).toBe(0);
    for (const job of bulky) expect(await d1Job(job.jobId)).toMatchObject({ state: "QUEUED" });
    expect(await holds()).toBe(true);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it("answers a change whose flush fails after D1 took it, and flushes again with the next change", async () => {
    const warnings = captureWarnings();
    const { name, stub, api } = await regionWithMiner({ at: T0 });
    // D1 takes the batch; marking it delivered then fails, as this object's own storage can.
    await runInDurableObject(stub, (instance: RegionCoordinator) => {
      failNextCall((instance as unknown as { store: Store }).store.outbox, "delivered", new Error("injected storage failure"));
    });
    const first = newJob(name);
    expect((await api.enqueue(first)).ok).toBe(true);
    expect(await outboxSize(stub)).toBeGreaterThan(0);

    const second = newJob(name);
    expect((await api.enqueue(second)).ok).toBe(true);
    expect(await outboxSize(stub)).toBe(0);
    expect(await d1Job(first.jobId)).toMatchObject({ state: "QUEUED", version: 1 });
    expect(await d1Job(second.jobId)).toMatchObject({ state: "QUEUED", version: 1 });
    expect(await d1Events(first.jobId)).toEqual(["submitted"]);
    expect(warnings.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ msg: "outbox flush failed; will retry", error: "Error: injected storage failure" }),
    ]);
  });

  it("keeps queue, leases and pending outbox across an eviction", async () => {
    const warnings = captureWarnings();
    const { name, stub, api, call } = await regionWithMiner({ at: T0 });
    const leased = newJob(name, { priority: 10 });
    const queuedJob = newJob(name);
    await api.enqueue(leased);
    await api.enqueue(queuedJob);
    const lease = await api.poll(call, 1, 0);
    if (!lease.ok) throw new Error("poll refused");
    await setD1Failing(stub, true);
    await api.cancel(queuedJob.jobId, "cli_test");
    await evictDurableObject(stub);

    await setClock(stub, T0 + 1000);
    expect(await outboxSize(stub)).toBeGreaterThan(0);
    const done = await api.complete(call, leased.jobId, lease.value[0]!.lease_id, { ok: true }, {});
    expect(done.ok).toBe(true);
    expect(await outboxSize(stub)).toBe(0);
    expect(await d1Job(queuedJob.jobId)).toMatchObject({ state: "CANCELED" });
    expect(await d1Job(leased.jobId)).toMatchObject({ state: "COMPLETED" });
    expect(warnings.map((line) => JSON.parse(line).msg)).toEqual(["outbox flush failed; will retry"]);
  });

  it("fails a parked long-poll cleanly when the DO is reset", async () => {
    const { name, api, call } = await regionWithMiner();
    const started = Date.now();
    const parked = api.poll(call, 1, 20).then(
      (value) => ({ settled: "value" as const, value }),
      (error: unknown) => ({ settled: "error" as const, error }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await abortAllDurableObjects();
    const outcome = await parked;
    expect(outcome.settled).toBe("error");
    expect(Date.now() - started).toBeLessThan(5_000);
    // The miner polls again (through a new stub: the old one saw the reset) and gets work from the same queue.
    const { api: restarted } = regionByName(name);
    await restarted.enqueue(newJob(name));
    const again = await restarted.poll(call, 1, 0);
    expect(again.ok && again.value).toHaveLength(1);
  });
});

describe("a change that throws", () => {
  /** Makes the DO's next outbox append throw, inside the transaction of the change that makes it. */
  const failNextAppend = (stub: RegionStub) =>
    runInDurableObject(stub, (instance: RegionCoordinator) => {
      failNextCall((instance as unknown as { store: Store }).store.outbox, "append", new Error("injected failure"));
    });

  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => "no error",
      (err: unknown) => String(err),
    );

  it("leaves the miner as it was: a drain that rolled back does not keep the miner from work", async () => {
    const { name, stub, api, call } = await regionWithMiner();
    await api.enqueue(newJob(name));
    await failNextAppend(stub);
    expect(await refusal(api.drain(call))).toContain("injected failure");
    const polled = await api.poll(call, 1, 0);
    expect(polled.ok && polled.value).toHaveLength(1);
  });

  it("answers a submit that woke a parked poll whose lease threw; the job waits for the next poll", async () => {
    const warnings = captureWarnings();
    const { name, stub, api, call } = await regionWithMiner();
    const parked = api.poll(call, 1, 20);
    await new Promise((r) => setTimeout(r, 50));
    await runInDurableObject(stub, (instance: RegionCoordinator) => {
      failNextCall((instance as unknown as { queue: RegionQueue }).queue, "lease", new Error("injected failure"));
    });
    const job = newJob(name);
    expect((await api.enqueue(job)).ok).toBe(true);
    expect(await parked).toEqual({ ok: true, value: [] });
    expect(warnings.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ msg: "parked poll not served", miner_id: call.minerId, error: "Error: injected failure" }),
    ]);
    const again = await api.poll(call, 1, 0);
    expect(again.ok && again.value.map((j) => j.job_id)).toEqual([job.jobId]);
  });

  it("answers a submit whose alarm could not be set, and the next change sets it", async () => {
    const warnings = captureWarnings();
    const { name, stub, api } = await regionWithMiner({ at: T0 });
    const alarm = () => runInDurableObject(stub, (_instance: RegionCoordinator, state) => state.storage.getAlarm());
    expect(await alarm()).toBeGreaterThan(T0 + 5_000);
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      failNextCall(state.storage, "setAlarm", new Error("injected storage failure"), true);
    });
    // Expiring 5 s on, each job needs the alarm earlier than the miner's timeout had set it.
    expect((await api.enqueue(newJob(name, { ttlSeconds: 5 }))).ok).toBe(true);
    expect(await alarm()).toBeGreaterThan(T0 + 5_000);
    expect((await api.enqueue(newJob(name, { ttlSeconds: 5 }))).ok).toBe(true);
    expect(await alarm()).toBeLessThanOrEqual(T0 + 5_000);
    expect(warnings.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ msg: "alarm not set; the next change sets it", error: "Error: injected storage failure" }),
    ]);
  });

  it("leaves the job's event stream as it was: the next step of the job takes the next id", async () => {
    const { stub, api, call, job, lease } = await leasedJob();
    await failNextAppend(stub);
    expect(await refusal(api.complete(call, job.jobId, lease.lease_id, { ok: true }, {}))).toContain("injected failure");
    expect((await api.complete(call, job.jobId, lease.lease_id, { ok: true }, {})).ok).toBe(true);
    const ids = await runInDurableObject(stub, (_instance: RegionCoordinator, state) =>
      state.storage.sql
        .exec<{ id: number }>("SELECT id FROM job_stream WHERE job_id = ? ORDER BY id", job.jobId)
        .toArray()
        .map((r) => r.id),
    );
    expect(ids).toEqual(ids.map((_, i) => i + 2));
  });

  it("leaves the queue classes as they were: a job of a class whose first submit rolled back is offered after an eviction", async () => {
    const { name, stub, api, call } = await regionWithMiner();
    await failNextAppend(stub);
    expect(await refusal(api.enqueue(newJob(name, { constraints: { gpu: "A100" } })))).toContain("injected failure");
    const job = newJob(name, { constraints: { gpu: "A100" } });
    await api.enqueue(job);
    await evictDurableObject(stub);
    const polled = await api.poll(call, 1, 0);
    expect(polled.ok && polled.value.map((j) => j.job_id)).toEqual([job.jobId]);
  });
});

describe("a miner's list of the jobs it holds", () => {
  it("gives back a lease the miner does not hold once the grace period has passed, and never before", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    // HEARTBEAT_INTERVAL_SECONDS is 10: the grace period is two intervals.
    await setClock(stub, T0 + 19_000);
    await api.heartbeat(call, {}, []);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "RUNNING", leaseId: lease.lease_id });
    await setClock(stub, T0 + 20_000);
    await api.heartbeat(call, {}, [job.jobId]);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "RUNNING" });
    await api.heartbeat(call, {}, []);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "QUEUED", attempts: 1 });
    expect(await d1Events(job.jobId)).toEqual(["submitted", "leased", "lease_lost"]);
  });

  it("ignores a count instead of a list", async () => {
    const { stub, api, call, job } = await leasedJob({ at: T0 });
    await setClock(stub, T0 + 60_000);
    await api.heartbeat(call, { inflight: 0 });
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "RUNNING" });
  });
});

describe("what admins see of a miner", () => {
  it("refreshes the miner's D1 row (last seen, reports) from heartbeats at most once a minute", async () => {
    const { env } = await import("cloudflare:workers");
    const { stub, api, call } = await regionWithMiner({ at: T0, minerId: "watched" });
    const row = () =>
      env.DB.prepare("SELECT last_seen_at, reported FROM miners WHERE miner_id = 'watched'").first<{
        last_seen_at: number;
        reported: string | null;
      }>();
    await setClock(stub, T0 + 30_000);
    await api.heartbeat(call, { status: "busy" });
    expect((await row())!.last_seen_at).toBe(T0);
    await setClock(stub, T0 + 60_000);
    await api.heartbeat(call, { status: "idle" });
    expect(await row()).toEqual({ last_seen_at: T0 + 60_000, reported: JSON.stringify({ status: "idle" }) });
  });
});
