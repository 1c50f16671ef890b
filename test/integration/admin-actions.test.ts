// What the dashboard does to jobs and miners, over HTTP: cancel any client's job, drain and undrain a
// miner, and the jobs each miner holds in the miner list.
import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, soloMinerAndJob, submit, uniqueName } from "../helpers/api";

const admin = (method: string, path: string) => call(method, path, { key: "admin" });

/** The miner as the admin list shows it. */
async function listed(minerId: string, region: string) {
  const res = await admin("GET", `/v1/admin/miners?region=${region}&limit=100`);
  expect(res.status).toBe(200);
  return res.body.items.find((m: { miner_id: string }) => m.miner_id === minerId);
}

describe("POST /v1/admin/jobs/{job_id}/cancel", () => {
  it("cancels any client's queued job, answers the admin view, and answers it again when repeated", async () => {
    const submitted = await submit({ payload: {}, constraints: { region: "local", gpu: uniqueName("gpu") } }, "client2");
    const jobId = submitted.body.job_id as string;
    const res = await admin("POST", `/v1/admin/jobs/${jobId}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job_id: jobId, state: "CANCELED", region: "local", client_id: expect.stringMatching(/^cli_/) });
    expect(res.body.completed_at).toEqual(expect.any(String));
    expect((await call("GET", `/v1/jobs/${jobId}`, { key: "client2" })).body.state).toBe("CANCELED");
    const again = await admin("POST", `/v1/admin/jobs/${jobId}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
  });

  it("cancels a running job, which its miner hears of in its next heartbeat", async () => {
    const { minerId, jobId } = await soloMinerAndJob("local");
    expect((await pollAs(minerId)).body.job_id).toBe(jobId);
    expect((await admin("POST", `/v1/admin/jobs/${jobId}/cancel`)).body.state).toBe("CANCELED");
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.cancel).toEqual([jobId]);
  });

  it("refuses a finished job with 409 naming its state, and an unknown or malformed id with 404", async () => {
    const { minerId, jobId } = await soloMinerAndJob("local");
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { lease_id: lease.body.lease_id, result: {} });
    const done = await admin("POST", `/v1/admin/jobs/${jobId}/cancel`);
    expect(done.status).toBe(409);
    expect(done.body.error).toMatchObject({ code: "CONFLICT_STATE", details: [{ field: "state", issue: "COMPLETED" }] });
    for (const id of ["b".repeat(32), "not-a-job-id"]) {
      const res = await admin("POST", `/v1/admin/jobs/${id}/cancel`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.code, id).toBe("JOB_NOT_FOUND");
    }
  });
});

describe("POST /v1/admin/miners/{miner_id}/drain and /undrain", () => {
  it("drains a miner: no new work, heartbeats say drain, DRAINING in the list; undrain brings it back to work", async () => {
    const { minerId, jobId } = await soloMinerAndJob("eu-west");
    const drained = await admin("POST", `/v1/admin/miners/${minerId}/drain`);
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ miner_id: minerId, status: "DRAINING", region: "eu-west", held_jobs: [] });
    expect((await pollAs(minerId)).status).toBe(204);
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.drain).toBe(true);
    expect((await listed(minerId, "eu-west")).status).toBe("DRAINING");
    // Draining again changes nothing.
    expect((await admin("POST", `/v1/admin/miners/${minerId}/drain`)).body.status).toBe("DRAINING");

    const undrained = await admin("POST", `/v1/admin/miners/${minerId}/undrain`);
    expect(undrained.status).toBe(200);
    expect(undrained.body).toMatchObject({ miner_id: minerId, status: "ONLINE" });
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.drain).toBe(false);
    const polled = await pollAs(minerId);
    expect(polled.body.job_id).toBe(jobId);
    const drainedWhileRunning = await admin("POST", `/v1/admin/miners/${minerId}/drain`);
    expect(drainedWhileRunning.body).toMatchObject({ status: "DRAINING", held_jobs: [jobId] });
    // Its running job still finishes.
    const result = await minerCall(minerId, `/v1/miners/${jobId}/result`, { lease_id: polled.body.lease_id, result: {} });
    expect(result.status).toBe(200);
  });

  it("answers a poll parked by the miner at once when it is drained", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "eu-west", capabilities: { gpus: [{ name: uniqueName("gpu"), memory_mb: 1 }] } });
    const started = Date.now();
    const parked = pollAs(minerId, { max_wait_seconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await admin("POST", `/v1/admin/miners/${minerId}/drain`)).status).toBe(200);
    expect((await parked).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("leaves a miner's own drain alone: undrain answers 409, and registering again ends it", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "local" });
    await minerCall(minerId, "/v1/miners/drain");
    const res = await admin("POST", `/v1/admin/miners/${minerId}/undrain`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "CONFLICT_STATE", details: [{ field: "status", issue: "DRAINING" }] });
    // An admin's drain of a miner that then drains itself is the miner's own from then on.
    const other = uniqueName("m");
    await registerMiner(other, { region: "local" });
    await admin("POST", `/v1/admin/miners/${other}/drain`);
    await minerCall(other, "/v1/miners/drain");
    expect((await admin("POST", `/v1/admin/miners/${other}/undrain`)).status).toBe(409);
    await registerMiner(other, { region: "local" });
    expect((await listed(other, "local")).status).toBe("ONLINE");
  });

  it("answers an ONLINE miner's undrain with the miner as it is", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "local" });
    const res = await admin("POST", `/v1/admin/miners/${minerId}/undrain`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ miner_id: minerId, status: "ONLINE", held_jobs: [] });
  });

  it("answers 404 MINER_NOT_FOUND for an unknown miner and an id of another shape", async () => {
    for (const id of ["nobody-registered-this", "not%20an%20id", "x".repeat(65)]) {
      for (const action of ["drain", "undrain"]) {
        const res = await admin("POST", `/v1/admin/miners/${id}/${action}`);
        expect(res.status, `${action} ${id}`).toBe(404);
        expect(res.body.error.code, `${action} ${id}`).toBe("MINER_NOT_FOUND");
      }
    }
  });
});

describe("GET /v1/admin/miners: held jobs", () => {
  it("lists the jobs each miner runs now, live", async () => {
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    const idle = uniqueName("m");
    await registerMiner(minerId, { region: "us-east", concurrency: 2, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
    await registerMiner(idle, { region: "us-east" });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await submit({ payload: { i }, constraints: { region: "us-east", gpu } })).body.job_id);
    const polled = await pollAs(minerId, { max_wait_seconds: 0, max_jobs: 2 });
    const leases = polled.body.items as { job_id: string; lease_id: string }[];
    expect((await listed(minerId, "us-east")).held_jobs).toEqual([...ids].sort());
    expect((await listed(idle, "us-east")).held_jobs).toEqual([]);
    await minerCall(minerId, `/v1/miners/${leases[0]!.job_id}/result`, { lease_id: leases[0]!.lease_id, result: {} });
    expect((await listed(minerId, "us-east")).held_jobs).toEqual([leases[1]!.job_id]);
    expect(await listed(minerId, "us-east")).toMatchObject({ reported: null });
  });
});
