// The global shape through the HTTP API (workers-global: us-east and eu-west, two shards each,
// SPILL_AFTER_SECONDS=1): jobs reach fitting miners in sibling shards at once and in other regions
// once they waited, a region constraint stays hard, and a moved job is still canceled through its
// origin. Each test uses a GPU name of its own, so its jobs fit only its own miners.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { jobOrigin, minerShard } from "../../src/queue/shards";
import { call, callText, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";

const config = getConfig(env);

/** A miner (registered in `region`) with a GPU of its own, and a job body only it fits. */
async function soloGpu(region: string) {
  const gpu = uniqueName("gpu");
  const minerId = uniqueName("m");
  expect((await registerMiner(minerId, { region, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } })).status).toBe(200);
  return { minerId, gpu };
}

describe("stealing within a region", () => {
  it("gives a miner every fitting job of its region at once, whichever shard each was submitted to", async () => {
    const { minerId, gpu } = await soloGpu("us-east");
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await submit({ payload: { i }, constraints: { region: "us-east", gpu } })).body.job_id);
    // Random shards: with 8 jobs over 2 shards, both are used (the odds of one shard only are 1 in 128).
    const shards = new Set(ids.map((id) => jobOrigin(id, config)!.shard));
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await pollAs(minerId, { max_wait_seconds: 0 });
      expect(res.status).toBe(200);
      got.push(res.body.job_id);
      await call("POST", `/v1/miners/${res.body.job_id}/result`, {
        key: "miner",
        headers: { "X-Miner-Id": minerId },
        body: { lease_id: res.body.lease_id, result: {} },
      });
    }
    expect(got.sort()).toEqual([...ids].sort());
    if (shards.size === 2) {
      const mine = minerShard(minerId, config.shardsPerRegion);
      const views = await Promise.all(ids.map((id) => call("GET", `/v1/jobs/${id}`, { key: "client" })));
      expect(views.every((v) => v.body.queued_shard === mine && v.body.ran_region === "us-east")).toBe(true);
    }
  });
});

describe("spilling across regions", () => {
  it("offers a job without a region constraint to an idle fitting miner of another region once it waited SPILL_AFTER_SECONDS", async () => {
    const { minerId, gpu } = await soloGpu("eu-west");
    // No region constraint: the job goes to the nearest region, here the first one (us-east).
    const submitted = await submit({ payload: {}, constraints: { gpu } });
    expect(submitted.body).toMatchObject({ region: "us-east", queued_region: "us-east" });
    const started = Date.now();
    const res = await pollAs(minerId, { max_wait_seconds: 10 });
    const waited = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.job_id).toBe(submitted.body.job_id);
    expect(waited).toBeLessThan((config.spillAfterSeconds + 2) * 1000);
    const view = await call("GET", `/v1/jobs/${submitted.body.job_id}`, { key: "client" });
    expect(view.body).toMatchObject({ state: "RUNNING", region: "us-east", queued_region: "eu-west", ran_region: "eu-west" });
    const stats = await call("GET", "/v1/admin/stats", { key: "admin" });
    expect(stats.body.spills).toBeGreaterThanOrEqual(1);
    expect(stats.body.shards).toHaveLength(config.regions.length * config.shardsPerRegion);
    const metrics = await callText("GET", "/metrics", { key: "admin" });
    expect(metrics.text).toMatch(/^edge_coordinator_shard_spilled_in_jobs\{region="eu-west",shard="[01]"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^edge_coordinator_shard_queued_jobs\{region="us-east",shard="1"\} \d+$/m);
  });

  it("never moves a job whose region constraint names its region", async () => {
    const { minerId, gpu } = await soloGpu("eu-west");
    const submitted = await submit({ payload: {}, constraints: { gpu, region: "us-east" } });
    expect((await pollAs(minerId, { max_wait_seconds: 3 })).status).toBe(204);
    const view = await call("GET", `/v1/jobs/${submitted.body.job_id}`, { key: "client" });
    expect(view.body).toMatchObject({ state: "QUEUED", queued_region: "us-east" });
  });
});

describe("miner rows across regions", () => {
  it("keeps D1's row of a miner that re-registered in another region on the new region", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "us-east" });
    await pollAs(minerId); // a few more versions in the first region
    await registerMiner(minerId, { region: "eu-west" });
    const row = await env.DB.prepare("SELECT region FROM miners WHERE miner_id = ?").bind(minerId).first();
    expect(row).toEqual({ region: "eu-west" });
  });
});
