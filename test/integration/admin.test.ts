import { describe, expect, it } from "vitest";
import { progress as progressRoute } from "../../src/routes/miners/miners.routes";
import { call, callRoute, minerCall, pollAs, registerMiner, soloMinerAndJob, submit, uniqueName } from "../helpers/api";
import { openStream } from "../helpers/event-stream";

describe("admin views", () => {
  it("shows a job with its full event history", async () => {
    const { minerId, jobId } = await soloMinerAndJob();
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: { ok: 1 }, lease_id: lease.body.lease_id });
    const res = await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" });
    expect(res.status).toBe(200);
    expect(res.body.client_id).toMatch(/^cli_/);
    expect(res.body.events.map((e: { type: string; to_state: string }) => [e.type, e.to_state])).toEqual([
      ["submitted", "QUEUED"],
      ["leased", "RUNNING"],
      ["completed", "COMPLETED"],
    ]);
    expect(res.body.events[1]).toMatchObject({ miner_id: minerId, lease_id: lease.body.lease_id });
  });

  it("shows any job's payload and result, and lists its receipts", async () => {
    const { minerId, jobId } = await soloMinerAndJob("eu-west", { payload: { prompt: "admin sees this" } });
    const queued = await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" });
    expect(queued.body).toMatchObject({ payload: { prompt: "admin sees this" }, result: null });
    expect((await call("GET", `/v1/admin/jobs/${jobId}/receipts`, { key: "admin" })).body.error.code).toBe("RECEIPT_NOT_FOUND");

    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: { answer: 42 }, lease_id: lease.body.lease_id });
    expect((await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" })).body.result).toEqual({ answer: 42 });
    await call("POST", `/v1/admin/jobs/${jobId}/receipts`, { key: "admin" });
    const receipts = await call("GET", `/v1/admin/jobs/${jobId}/receipts`, { key: "admin" });
    expect(receipts.status).toBe(200);
    expect(receipts.body.items.map((r: { job_id: string }) => r.job_id)).toEqual([jobId, jobId]);
    expect(receipts.body.next_cursor).toBeNull();
    expect((await call("GET", `/v1/admin/jobs/${jobId}/receipts`, { key: "client" })).status).toBe(403);
    expect((await call("GET", `/v1/admin/jobs/${"c".repeat(32)}/receipts`, { key: "admin" })).body.error.code).toBe("JOB_NOT_FOUND");
  });

  it("streams any job's events, output included, to an admin key", async () => {
    const { minerId, jobId } = await soloMinerAndJob();
    const lease = await pollAs(minerId);
    const posted = await callRoute(progressRoute, {
      key: "miner",
      params: { job_id: jobId },
      headers: { "X-Miner-Id": minerId },
      body: { lease_id: lease.body.lease_id, seq: 0, progress: 0.5, output: "hello operator" },
    });
    expect(posted.status).toBe(200);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: lease.body.lease_id });
    const history = await (await openStream(jobId, { key: "admin", jobs: "/v1/admin/jobs", query: "?after=0" })).read();
    expect(history.map((m) => m.type)).toEqual([
      "state.changed",
      "state.changed",
      "job.progress",
      "output.chunk",
      "state.changed",
      "result.ready",
    ]);
    expect(history.find((m) => m.type === "output.chunk")?.data).toBe("hello operator");
    expect((await call("GET", `/v1/admin/jobs/${jobId}/events`, { key: "client" })).status).toBe(403);
  });

  it("answers 404 for an unknown job", async () => {
    const res = await call("GET", `/v1/admin/jobs/${"b".repeat(32)}`, { key: "admin" });
    expect(res.status).toBe(404);
  });

  it("filters jobs by state, region, client and miner with cursor pagination", async () => {
    const region = "us-east";
    const { minerId, jobId } = await soloMinerAndJob(region);
    await pollAs(minerId);
    const byMiner = await call("GET", `/v1/admin/jobs?miner_id=${minerId}`, { key: "admin" });
    expect(byMiner.body.items.map((j: { job_id: string }) => j.job_id)).toEqual([jobId]);
    const running = await call("GET", `/v1/admin/jobs?state=RUNNING&region=${region}&limit=100`, { key: "admin" });
    expect(running.body.items.every((j: { state: string; region: string }) => j.state === "RUNNING" && j.region === region)).toBe(true);
    const clientId = byMiner.body.items[0].client_id;
    const page1 = await call("GET", `/v1/admin/jobs?client_id=${clientId}&limit=1`, { key: "admin" });
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await call("GET", `/v1/admin/jobs?client_id=${clientId}&limit=1&cursor=${page1.body.next_cursor}`, { key: "admin" });
    expect(page2.body.items[0].job_id).not.toBe(page1.body.items[0].job_id);
  });

  it("lists miners with status and region filters, DRAINING included", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "local" });
    await minerCall(minerId, "/v1/miners/drain");
    const res = await call("GET", "/v1/admin/miners?status=DRAINING&region=local&limit=100", { key: "admin" });
    expect(res.status).toBe(200);
    const mine = res.body.items.find((m: { miner_id: string }) => m.miner_id === minerId);
    expect(mine).toMatchObject({ status: "DRAINING", region: "local", concurrency: 1 });
    expect(JSON.stringify(res.body)).not.toContain("test-miner-key");
  });

  it("reports stats by state, region and miner status", async () => {
    const region = "eu-west";
    await submit({ payload: {}, constraints: { region, gpu: "stats-gpu-nobody-has" } });
    const res = await call("GET", "/v1/admin/stats", { key: "admin" });
    expect(res.status).toBe(200);
    expect(res.body.jobs.by_state.QUEUED).toBeGreaterThanOrEqual(1);
    expect(res.body.jobs.total).toBeGreaterThanOrEqual(res.body.jobs.active);
    const eu = res.body.regions.find((r: { region: string }) => r.region === region);
    expect(eu.queued).toBeGreaterThanOrEqual(1);
    expect(eu.oldest_queued_age_seconds).toBeGreaterThanOrEqual(0);
    expect(res.body.miners.by_status).toEqual(expect.any(Object));
  });

  it("refuses client and miner keys with 403", async () => {
    expect((await call("GET", "/v1/admin/miners", { key: "client" })).status).toBe(403);
    expect((await call("GET", "/v1/admin/jobs", { key: "miner" })).status).toBe(403);
  });
});
