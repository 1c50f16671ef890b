// What a region costs per request: a batch reaches D1 as one batch, concurrent changes share D1
// batches, a change with nothing for D1 never waits for other changes' flushes, quiet signs of life
// write nothing, and a mass silence is marked OFFLINE a bounded slice per tick.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import {
  d1Job,
  freshRegion,
  minerCall,
  newJob,
  QUEUE_SETTINGS,
  queueOver,
  type RegionStub,
  regionWithMiner,
  registration,
  T0,
} from "../helpers/region";

const SETTINGS = { ...QUEUE_SETTINGS, tickLimit: 10 };

/**
 * Routes the DO's D1 batches through a gate: while closed, each batch waits; `open` lets them all
 * through. `batches` counts the D1 batches the DO sent, `statements` the statements of each.
 */
async function gatedD1(stub: RegionStub) {
  const gate = { batches: 0, statements: [] as number[], open: () => {}, opened: Promise.resolve() };
  gate.opened = new Promise<void>((resolve) => {
    gate.open = resolve;
  });
  await runInDurableObject(stub, (instance: RegionCoordinator) => {
    instance.d1 = new Proxy(env.DB, {
      get: (target, prop) =>
        prop === "batch"
          ? async (statements: D1PreparedStatement[]) => {
              gate.batches++;
              gate.statements.push(statements.length);
              await gate.opened;
              return target.batch(statements);
            }
          : Reflect.get(target, prop, target),
    });
  });
  return gate;
}

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe("batch submit", () => {
  it("enqueues a batch in one D1 batch and answers in order, a repeated job id as it is", async () => {
    const { name, stub, api } = freshRegion();
    const gate = await gatedD1(stub);
    gate.open();
    const jobs = Array.from({ length: 100 }, () => newJob(name));
    const answer = await api.enqueueBatch([...jobs, jobs[0]!]);
    if (!answer.ok) throw new Error("enqueueBatch refused");
    expect(answer.value.map((a) => a.job.jobId)).toEqual([...jobs, jobs[0]!].map((j) => j.jobId));
    expect(answer.value.map((a) => a.created)).toEqual([...jobs.map(() => true), false]);
    expect(gate.batches).toBe(1);
    expect(await d1Job(jobs[99]!.jobId)).toMatchObject({ state: "QUEUED", version: 1 });
  });
});

describe("outbox flushes", () => {
  it("shares D1 batches between concurrent changes, and answers each only once its own rows are in D1", async () => {
    const { name, stub, api } = freshRegion();
    const gate = await gatedD1(stub);
    const jobs = Array.from({ length: 10 }, () => newJob(name));
    const inD1AtAnswer = jobs.map(async (job) => {
      await api.enqueue(job);
      return (await d1Job(job.jobId))?.state;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.open();
    expect(await Promise.all(inD1AtAnswer)).toEqual(jobs.map(() => "QUEUED"));
    // The first change's batch, then one for the nine that committed while it was in flight.
    expect(gate.batches).toBe(2);
  });

  it("writes a job once when its submit wakes a parked poll: one batch, the job's row as leased, with its payload", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0 });
    const gate = await gatedD1(stub);
    gate.open();
    const parked = api.poll(call, 1, 20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const job = newJob(name);
    expect((await api.enqueue(job)).ok).toBe(true);
    const polled = await parked;
    expect(polled.ok && polled.value.map((j) => j.job_id)).toEqual([job.jobId]);
    // The job's row once, then the submit's event, the lease's event and the lease's session.
    expect(gate.statements).toEqual([4]);
    expect(await d1Job(job.jobId)).toMatchObject({ state: "RUNNING", version: 2 });
    const stored = await env.DB.prepare("SELECT payload FROM jobs WHERE job_id = ?").bind(job.jobId).first<{ payload: string }>();
    expect(JSON.parse(stored!.payload)).toEqual(job.payload);
  });

  it("answers a change with nothing for D1 without waiting for another change's flush", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0 });
    const gate = await gatedD1(stub);
    const submit = api.enqueue(newJob(name, { constraints: { gpu: "H100" } }));
    expect(await settledWithin(api.heartbeat(call, {}), 2000)).toBe(true);
    expect(await settledWithin(api.poll(call, 1, 0), 2000)).toBe(true);
    expect(await settledWithin(submit, 100)).toBe(false);
    gate.open();
    expect((await submit).ok).toBe(true);
  });
});

/** SqlStorage that records every query and adds up rowsWritten of every cursor it hands out. */
function countingWrites(sql: SqlStorage) {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const queries: string[] = [];
  const counted = new Proxy(sql, {
    get: (target, prop) =>
      prop === "exec"
        ? (query: string, ...bindings: SqlStorageValue[]) => {
            const cursor = target.exec(query, ...bindings);
            queries.push(query);
            cursors.push(cursor);
            return cursor;
          }
        : Reflect.get(target, prop, target),
  });
  return { sql: counted, queries, rowsWritten: () => cursors.reduce((n, c) => n + c.rowsWritten, 0) };
}

/** Registers miner m1 with `held` slots at T0 and leases it `held` jobs, in one transaction. */
function busyMiner(state: DurableObjectState, { miners, queue }: ReturnType<typeof queueOver>, region: string, held: number) {
  state.storage.transactionSync(() => {
    miners.register(registration(region, "m1", held), T0);
    queue.enqueueAll(
      Array.from({ length: held }, () => newJob(region)),
      T0,
    );
    queue.lease(minerCall("m1"), held, T0);
  });
}

describe("signs of life", () => {
  it("writes nothing for an empty poll or a quiet heartbeat within a second of the last sign of life", async () => {
    const { name, stub } = freshRegion();
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const counter = countingWrites(state.storage.sql);
      const { miners, queue } = queueOver(counter.sql, SETTINGS);
      state.storage.transactionSync(() => miners.register(registration(name, "m1"), T0));
      const written = (change: () => unknown) => {
        const before = counter.rowsWritten();
        state.storage.transactionSync(change);
        return counter.rowsWritten() - before;
      };
      expect(written(() => queue.lease(minerCall("m1"), 1, T0 + 5000))).toBeGreaterThan(0);
      expect(written(() => queue.lease(minerCall("m1"), 1, T0 + 5500))).toBe(0);
      expect(written(() => miners.heartbeat("m1", "mnr_test", {}, T0 + 5900))).toBe(0);
      expect(written(() => miners.heartbeat("m1", "mnr_test", {}, T0 + 6000))).toBeGreaterThan(0);
    });
  });

  it("re-dates the lease rows of a busy miner once a third of the timeout has passed, not at every call", async () => {
    const { name, stub } = freshRegion();
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const counter = countingWrites(state.storage.sql);
      const region = queueOver(counter.sql, SETTINGS);
      const { miners } = region;
      const held = 20;
      busyMiner(state, region, name, held);
      const written = (at: number) => {
        const before = counter.rowsWritten();
        state.storage.transactionSync(() => miners.heartbeat("m1", "mnr_test", {}, at));
        return counter.rowsWritten() - before;
      };
      const third = SETTINGS.heartbeatTimeoutMs / 3;
      // Each call writes the miner's row; its 20 lease rows only once a third of the timeout is behind them.
      const minerRowOnly = written(T0 + 1000);
      for (let at = T0 + 2000; at < T0 + third; at += 1000) expect(written(at)).toBe(minerRowOnly);
      // SQLite counts each re-dated job twice: its row and its entry in the lease-expiry index.
      expect(written(T0 + third + 1000)).toBe(minerRowOnly + 2 * held);
      expect(written(T0 + third + 2000)).toBe(minerRowOnly);
    });
  });
});

describe("leases that fall due", () => {
  it("re-dates all of a live miner's due leases in one statement, however many fall due together", async () => {
    const { name, stub } = freshRegion();
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const counter = countingWrites(state.storage.sql);
      const region = queueOver(counter.sql, SETTINGS);
      const { store, miners, queue } = region;
      const held = 30;
      busyMiner(state, region, name, held);
      // A sign of life too soon to re-date the rows: they all fall due at T0 + timeout, the miner alive.
      const lastSign = T0 + SETTINGS.heartbeatTimeoutMs / 5;
      state.storage.transactionSync(() => miners.heartbeat("m1", "mnr_test", {}, lastSign));
      const before = counter.queries.length;
      state.storage.transactionSync(() => queue.tick(T0 + SETTINGS.heartbeatTimeoutMs));
      const renewals = counter.queries.slice(before).filter((q) => q.startsWith("UPDATE jobs SET lease_expires_at"));
      expect(renewals).toHaveLength(1);
      expect(store.runningOf("m1").count).toBe(held);
    });
  });
});

describe("a mass silence", () => {
  it("marks at most tickLimit miners OFFLINE per tick and leaves the rest due at once", async () => {
    const { name, stub } = freshRegion();
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const { store, miners, queue } = queueOver(state.storage.sql, SETTINGS);
      state.storage.transactionSync(() => {
        for (let i = 0; i < 25; i++) miners.register(registration(name, `m${i}`), T0);
      });
      const silentAt = T0 + SETTINGS.heartbeatTimeoutMs;
      const offline = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM miners WHERE status = 'OFFLINE'").one().n;
      state.storage.transactionSync(() => queue.tick(silentAt));
      expect(offline()).toBe(10);
      // The oldest live miner is overdue, so the alarm comes straight back for the rest.
      expect(store.deadlines({ ...SETTINGS, handoffRetryMs: 0 }, silentAt).minerTimeout).toBeLessThanOrEqual(silentAt);
      state.storage.transactionSync(() => queue.tick(silentAt));
      state.storage.transactionSync(() => queue.tick(silentAt));
      expect(offline()).toBe(25);
    });
  });
});
