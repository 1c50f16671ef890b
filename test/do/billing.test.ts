// Billing facts at the region DO, on a pinned clock: the receipt's times are the DO's own, its price
// the one agreed at lease; and the DO migration that gives running jobs their lease terms.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/model/job";
import { runDoMigrations } from "../../src/queue/do-migrations";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { leasedJob, liveJob, minerCall, newJob, regionWithMiner, registration, setClock, T0 } from "../helpers/region";

describe("billing facts on the DO's clock", () => {
  it("signs a 155 ms job as 155 ms at the agreed price, however long and dear the miner says it was", async () => {
    const { stub, api, call, job } = await leasedJob({
      at: T0,
      concurrency: 2,
      capabilities: { price: 0.5 },
      job: { constraints: { max_price: 1 } },
    });

    await setClock(stub, T0 + 155);
    const done = await api.complete(call, job.jobId, undefined, { out: 1 }, { units: 1e15, price: 1e15, duration_ms: 1e13 });
    if (!done.ok) throw new Error("result refused");
    expect(done.value.receipt).toMatchObject({
      price: 0.5,
      units: 1.155,
      unit_type: "gpu_seconds",
      duration_ms: 155,
      started_at: T0 / 1000,
      completed_at: T0 / 1000,
    });
    const settlement = await env.DB.prepare("SELECT amount, units FROM settlements WHERE job_id = ?").bind(job.jobId).first();
    expect(settlement).toEqual({ amount: 0.5 * 1.155, units: 1.155 });
  });
});

describe("DO migration 2: lease terms", () => {
  it("gives a job leased before it the terms of its miner's registration, and every other job none", async () => {
    const gpu = { name: "A100", memory_mb: 81920 };
    const { name, stub, api, call } = await regionWithMiner({ at: T0, concurrency: 2, capabilities: { price: 0.75, gpus: [gpu, gpu] } });
    await api.register(registration(name, "bare", 2, {}));
    const running = newJob(name);
    const runningOnBare = newJob(name);
    const queued = newJob(name, { constraints: { gpu: "nobody-has-this" } });
    await api.enqueue(queued);
    await api.enqueue(running);
    await api.poll(call, 1, 0);
    await api.enqueue(runningOnBare);
    await api.poll(minerCall("bare"), 1, 0);
    expect((await liveJob(stub, running.jobId))!.leaseTerms).toEqual({ price: 0.75, gpus: 2 });

    // Put both documents back as they were before jobs had lease terms, then migrate again.
    await runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE jobs SET doc = json_remove(doc, '$.leaseTerms')");
      const docs = sql.exec<{ doc: string }>("SELECT doc FROM jobs").toArray();
      expect(docs.map((r) => "leaseTerms" in JSON.parse(r.doc))).toEqual([false, false, false]);
      sql.exec("DELETE FROM _migrations WHERE id >= 2");
      runDoMigrations(sql);
    });
    const migrated = async (jobId: string) => (await liveJob(stub, jobId)) as Job;
    expect((await migrated(running.jobId)).leaseTerms).toEqual({ price: 0.75, gpus: 2 });
    expect((await migrated(runningOnBare.jobId)).leaseTerms).toEqual({ price: 0, gpus: 1 });
    expect((await migrated(queued.jobId)).leaseTerms).toBeNull();
  });
});
