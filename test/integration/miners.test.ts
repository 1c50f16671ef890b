import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, soloMinerAndJob, submit, uniqueName } from "../helpers/api";

describe("register", () => {
  it("answers with the session and the timing settings", async () => {
    const minerId = uniqueName("m");
    const res = await registerMiner(minerId, { region: "eu-west", concurrency: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: "ok",
      miner_id: minerId,
      session_token: expect.stringMatching(/^[0-9a-f]{48}$/),
      region: "eu-west",
      heartbeat_interval_seconds: 10,
      heartbeat_timeout_seconds: 30,
    });
    const row = await env.DB.prepare("SELECT owner_id, status, concurrency FROM miners WHERE miner_id = ?").bind(minerId).first();
    expect(row).toEqual({ owner_id: expect.stringMatching(/^mnr_/), status: "ONLINE", concurrency: 2 });
  });

  it("refuses a miner id registered by another key with 409", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const res = await registerMiner(minerId, {}, "miner2");
    expect(res.status).toBe(409);
  });

  it("reserves a key's principal id for that key: another key cannot block its default miner", async () => {
    const owner = await call("POST", "/v1/admin/keys", { key: "admin", body: { role: "miner", name: uniqueName("owner") } });
    const principalId: string = owner.body.principal_id;
    const squat = await registerMiner(principalId, {}, "miner2");
    expect(squat.status).toBe(422);
    expect(squat.body.error.details).toEqual([
      { field: "miner_id", issue: "ids shaped like a principal id are reserved for the key they belong to" },
    ]);
    const asOwner = (path: string, body: unknown) => call("POST", path, { key: null, body, headers: { "X-Api-Key": owner.body.key } });
    const registered = await asOwner("/v1/miners/register", {});
    expect(registered.status).toBe(200);
    expect(registered.body.miner_id).toBe(principalId);
    expect((await asOwner("/v1/miners/heartbeat", { inflight: 0 })).status).toBe(200);
    // Naming its own principal id is the same as leaving miner_id out.
    expect((await asOwner("/v1/miners/register", { miner_id: principalId })).status).toBe(200);
  });

  it("refuses every principal-shaped miner id that is not the caller's, and only those", async () => {
    for (const minerId of ["mnr_0123456789abcdef", "cli_0123456789abcdef", "adm_fedcba9876543210"]) {
      const res = await registerMiner(minerId);
      expect(res.status, minerId).toBe(422);
      expect(res.body.error.details[0].field).toBe("miner_id");
    }
    for (const lookalike of [
      "mnr_0123456789ABCDEF",
      "mnr_0123456789abcde",
      "mnr_0123456789abcdef0",
      "mnr-0123456789abcdef",
      "usr_0123456789abcdef",
    ]) {
      expect((await registerMiner(lookalike)).status, lookalike).toBe(200);
    }
  });

  it("refuses bad registrations with 422 naming the field", async () => {
    for (const [body, field] of [
      [{ concurrency: 0 }, "concurrency"],
      [{ miner_id: "bad id!" }, "miner_id"],
      [{ region: "mars" }, "region"],
      [{ capabilities: { gpus: [{ name: "A100", memory_mb: -1 }] } }, "capabilities.gpus.0.memory_mb"],
    ] as const) {
      const res = await call("POST", "/v1/miners/register", { key: "miner", body });
      expect(res.status, field).toBe(422);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it("acts only for miners the key registered (404 for another key's miner)", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const res = await minerCall(minerId, "/v1/miners/heartbeat", {}, "miner2");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("MINER_NOT_FOUND");
  });
});

describe("heartbeat and drain", () => {
  it("answers 404 MINER_NOT_FOUND before registration", async () => {
    const res = await minerCall(uniqueName("ghost"), "/v1/miners/heartbeat", {});
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("MINER_NOT_FOUND");
  });

  it("stores what the miner reports and answers cancel and drain", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const res = await minerCall(minerId, "/v1/miners/heartbeat", { inflight: 0, status: "idle", metadata: { temp: 60 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", cancel: [], drain: false });
    expect((await minerCall(minerId, "/v1/miners/drain")).body).toEqual({ status: "ok", state: "DRAINING" });
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.drain).toBe(true);
  });

  it("lists a canceled running job in the miner's next heartbeat, once", async () => {
    const region = "us-east";
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region });
    const job = await submit({ payload: {}, constraints: { region } });
    expect((await pollAs(minerId)).status).toBe(200);
    await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" });
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.cancel).toEqual([job.body.job_id]);
    expect((await minerCall(minerId, "/v1/miners/heartbeat", {})).body.cancel).toEqual([]);
  });

  it("gives a draining miner no new work (204)", async () => {
    const region = "eu-west";
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region, miner_id: minerId, capabilities: { gpus: [{ name: "DRAIN-GPU", memory_mb: 1 }] } });
    await minerCall(minerId, "/v1/miners/drain");
    await submit({ payload: {}, constraints: { region, gpu: "DRAIN-GPU" } });
    expect((await pollAs(minerId)).status).toBe(204);
  });
});

describe("poll", () => {
  it("answers 404 for an unregistered miner", async () => {
    expect((await pollAs(uniqueName("ghost"))).status).toBe(404);
  });

  it("never hands out a job whose constraints no miner fits", async () => {
    const region = "eu-west";
    const minerId = uniqueName("m");
    await registerMiner(minerId, {
      region,
      capabilities: { gpus: [{ name: "T4", memory_mb: 16384 }], cuda: "11.8", models: ["sd"], price: 2 },
    });
    const misfits = [{ gpu: "H100" }, { min_vram_gb: 17 }, { cuda: "12" }, { models: ["sd", "llama"] }, { max_price: 1 }];
    for (const constraints of misfits) await submit({ payload: {}, constraints: { region, ...constraints } });
    expect((await pollAs(minerId)).status).toBe(204);
    const fitting = await submit({
      payload: {},
      constraints: { region, gpu: "T4", min_vram_gb: 16, cuda: "11", models: ["sd"], max_price: 2 },
    });
    const res = await pollAs(minerId);
    expect(res.status).toBe(200);
    expect(res.body.job_id).toBe(fitting.body.job_id);
  });

  it("hands out the highest priority first, then the oldest", async () => {
    const region = "us-east";
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region, concurrency: 3, capabilities: { gpus: [{ name: gpu, memory_mb: 1024 }] } });
    const low = await submit({ payload: {}, priority: -5, constraints: { region, gpu } });
    const oldHigh = await submit({ payload: {}, priority: 10, constraints: { region, gpu } });
    const newHigh = await submit({ payload: {}, priority: 10, constraints: { region } });
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await pollAs(minerId)).body.job_id);
    expect(order).toEqual([oldHigh.body.job_id, newHigh.body.job_id, low.body.job_id]);
  });

  it("never leases more than the miner's concurrency, whatever it reports", async () => {
    const region = "eu-west";
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region, concurrency: 2, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
    for (let i = 0; i < 4; i++) await submit({ payload: { i }, constraints: { region, gpu } });
    await minerCall(minerId, "/v1/miners/heartbeat", { inflight: 0 });
    const batch = await pollAs(minerId, { max_wait_seconds: 0, max_jobs: 5 });
    expect(batch.status).toBe(200);
    expect(batch.body.items).toHaveLength(2);
    expect((await pollAs(minerId)).status).toBe(204);
    const [first] = batch.body.items;
    await minerCall(minerId, `/v1/miners/${first.job_id}/result`, { result: {}, lease_id: first.lease_id });
    expect((await pollAs(minerId)).status).toBe(200);
  });

  it("returns a job submitted while the poll waits", async () => {
    const region = "us-east";
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
    const started = Date.now();
    const parked = pollAs(minerId, { max_wait_seconds: 10 });
    await new Promise((r) => setTimeout(r, 200));
    const job = await submit({ payload: { late: true }, constraints: { region, gpu } });
    const res = await parked;
    expect(res.status).toBe(200);
    expect(res.body.job_id).toBe(job.body.job_id);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("answers 204 once the wait is over with nothing that fits", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, {
      region: "eu-west",
      capabilities: { gpus: [{ name: uniqueName("gpu"), memory_mb: 1 }] },
      concurrency: 1,
    });
    await submit({ payload: {}, constraints: { region: "eu-west", gpu: "nobody-has-this" } });
    const started = Date.now();
    const res = await pollAs(minerId, { max_wait_seconds: 1 });
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("refuses a negative max_wait_seconds and max_jobs over 64 with 422", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    expect((await pollAs(minerId, { max_wait_seconds: -1 })).status).toBe(422);
    expect((await pollAs(minerId, { max_jobs: 65 })).status).toBe(422);
  });

  it("needs X-Miner-Id only when a key runs several miners", async () => {
    const solo = await call("POST", "/v1/miners/register", { key: "miner2", body: { region: "local" } });
    expect(solo.body.miner_id).toMatch(/^mnr_/);
    const noHeader = await call("POST", "/v1/miners/heartbeat", { key: "miner2", body: {} });
    expect(noHeader.status).toBe(200);
    await registerMiner(uniqueName("second"), {}, "miner2");
    const ambiguous = await call("POST", "/v1/miners/heartbeat", { key: "miner2", body: {} });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.error.details[0].field).toBe("x-miner-id");
  });
});

describe("result and fail", () => {
  async function leased(region = "eu-west", extra: Record<string, unknown> = {}) {
    const { minerId, jobId } = await soloMinerAndJob(region, { payload: { x: 1 }, ...extra });
    const lease = await pollAs(minerId);
    expect(lease.status).toBe(200);
    return { minerId, jobId, leaseId: lease.body.lease_id as string };
  }

  it("returns the same receipt for an identical retried result", async () => {
    const { minerId, jobId, leaseId } = await leased();
    const body = { result: { y: 2 }, metrics: { units: 2, price: 0.5 }, lease_id: leaseId };
    const first = await minerCall(minerId, `/v1/miners/${jobId}/result`, body);
    const again = await minerCall(minerId, `/v1/miners/${jobId}/result`, body);
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual(first.body.receipt);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM receipts WHERE job_id = ?").bind(jobId).first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("refuses a result with the wrong lease id (409 LEASE_LOST) and changes nothing", async () => {
    const { minerId, jobId } = await leased();
    const res = await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: "f".repeat(32) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("LEASE_LOST");
    expect((await call("GET", `/v1/jobs/${jobId}`, { key: "client" })).body.state).toBe("RUNNING");
  });

  it("accepts a result without lease_id from the miner holding the lease", async () => {
    const { minerId, jobId } = await leased();
    expect((await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {} })).status).toBe(200);
  });

  it("refuses a late result for a canceled job with LEASE_LOST", async () => {
    const { minerId, jobId, leaseId } = await leased();
    await call("POST", `/v1/jobs/${jobId}/cancel`, { key: "client" });
    const res = await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: leaseId });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("LEASE_LOST");
  });

  it("requeues a retryable failure and fails a non-retryable one", async () => {
    const retry = await leased("us-east", { max_attempts: 2 });
    const res = await minerCall(retry.minerId, `/v1/miners/${retry.jobId}/fail`, {
      error_code: "OOM",
      error_message: "out of memory",
      lease_id: retry.leaseId,
    });
    expect(res.body).toEqual({ status: "ok", state: "QUEUED" });
    const view = await call("GET", `/v1/jobs/${retry.jobId}`, { key: "client" });
    expect(view.body).toMatchObject({ state: "QUEUED", attempts: 1, error: { code: "OOM", message: "out of memory" } });

    const fatal = await leased("us-east");
    const res2 = await minerCall(fatal.minerId, `/v1/miners/${fatal.jobId}/fail`, {
      error_code: "BAD_INPUT",
      retryable: false,
      lease_id: fatal.leaseId,
    });
    expect(res2.body.state).toBe("FAILED");
    const result = await call("GET", `/v1/jobs/${fatal.jobId}/result`, { key: "client" });
    expect(result.status).toBe(409);
    expect(result.body.error.details).toContainEqual({ field: "error", issue: "BAD_INPUT: " });
  });

  it("answers 404 for a result on an unknown job", async () => {
    const { minerId } = await leased();
    const res = await minerCall(minerId, `/v1/miners/${"a".repeat(32)}/result`, { result: {} });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("JOB_NOT_FOUND");
  });
});
