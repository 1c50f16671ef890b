// A poll reads the head of each fitting queue class through the jobs_queue index, so its cost
// does not grow with the number of queued jobs. Measured in rows read by SQLite, not in time.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Handoffs } from "../../src/queue/handoffs";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { freshRegion, minerCall, newJob, queueOver, registration } from "../helpers/region";

/** SqlStorage that adds up rowsRead of every cursor it hands out. */
function countingSql(sql: SqlStorage) {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const counted = new Proxy(sql, {
    get(target, prop) {
      if (prop !== "exec") return Reflect.get(target, prop, target);
      return (query: string, ...bindings: SqlStorageValue[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      };
    },
  });
  return { sql: counted, rowsRead: () => cursors.reduce((n, c) => n + c.rowsRead, 0), reset: () => (cursors.length = 0) };
}

async function rowsReadByOnePoll(queued: number): Promise<number> {
  const { name, stub } = freshRegion();
  return runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
    const counter = countingSql(state.storage.sql);
    const { miners, queue } = queueOver(counter.sql);
    const now = Date.UTC(2032, 0, 1);
    state.storage.transactionSync(() => {
      miners.register(registration(name, "m1"), now);
      // Most of the queue needs a GPU this miner lacks; a few jobs fit.
      for (let i = 0; i < queued; i++) queue.enqueue(newJob(name, { constraints: { gpu: "H100" }, priority: i % 5 }), now);
      for (let i = 0; i < 3; i++) queue.enqueue(newJob(name, { constraints: { gpu: "A100" } }), now);
    });
    counter.reset();
    const leased = state.storage.transactionSync(() => queue.lease(minerCall("m1"), 1, now + 1));
    expect(leased.ok && leased.value).toHaveLength(1);
    return counter.rowsRead();
  });
}

/** Rows a sibling shard reads to hand one fitting job over (the work a stealing or spilling poll causes there). */
async function rowsReadByOneHandover(queued: number): Promise<number> {
  const { name, stub } = freshRegion();
  return runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
    const counter = countingSql(state.storage.sql);
    const { store, queue } = queueOver(counter.sql);
    const handoffs = new Handoffs(store, { region: name, shard: 1 });
    const now = Date.UTC(2032, 0, 1);
    state.storage.transactionSync(() => {
      for (let i = 0; i < queued; i++) queue.enqueue(newJob(name, { constraints: { gpu: "H100" }, priority: i % 5 }), now);
      for (let i = 0; i < 3; i++) queue.enqueue(newJob(name, { constraints: { gpu: "A100" } }), now);
    });
    counter.reset();
    const ask = { region: name, capabilities: registration(name, "m1").capabilities, room: 1 };
    const given = state.storage.transactionSync(() => handoffs.handOver([ask], { region: name, shard: 0 }, now + 1, now + 1));
    expect(given).toHaveLength(1);
    return counter.rowsRead();
  });
}

describe("poll cost", () => {
  it("reads about as many rows with 20 000 queued jobs as with 100", async () => {
    const small = await rowsReadByOnePoll(100);
    const large = await rowsReadByOnePoll(20_000);
    expect(large).toBeLessThanOrEqual(small + 5);
    expect(large).toBeLessThan(100);
  }, 120_000);

  it("with shards: a sibling hands a job over reading about as many rows with 20 000 queued jobs as with 100", async () => {
    const small = await rowsReadByOneHandover(100);
    const large = await rowsReadByOneHandover(20_000);
    expect(large).toBeLessThanOrEqual(small + 5);
    expect(large).toBeLessThan(100);
  }, 120_000);
});
