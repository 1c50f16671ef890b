// Billing facts in receipts: the coordinator signs the price agreed at lease, its own times and
// bounded units, whatever the miner's metrics claim (docs/receipts.md, "Billing facts").
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, soloMinerAndJob, submit, uniqueName } from "../helpers/api";
import { liveJob, regionByName } from "../helpers/region";

const REGION = "eu-west";

async function leasedTo(capabilities: Record<string, unknown>, constraints: Record<string, unknown> = {}) {
  const { minerId, jobId } = await soloMinerAndJob(REGION, { payload: { prompt: "p" }, constraints }, capabilities);
  const lease = await pollAs(minerId);
  expect(lease.body.job_id).toBe(jobId);
  return { minerId, jobId, leaseId: lease.body.lease_id as string };
}

async function settlementAmount(receiptId: string) {
  const row = await env.DB.prepare("SELECT amount FROM settlements WHERE receipt_id = ?").bind(receiptId).first<{ amount: number }>();
  return row?.amount;
}

describe("a result cannot make the coordinator sign billing figures of its choosing", () => {
  it("signs the agreed price, its own times and bounded units for the forged result of the known attack", async () => {
    const { minerId, jobId, leaseId } = await leasedTo({ price: 0.5 }, { max_price: 1 });
    const forged = { units: 1e15, price: 1e15, duration_ms: 1e13 };
    const done = await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: { out: "x" }, metrics: forged, lease_id: leaseId });
    expect(done.status).toBe(200);
    const receipt = done.body.receipt;

    const job = (await liveJob(regionByName(REGION).stub, jobId))!;
    const measuredMs = job.completedAt! - job.leaseStartedAt!;
    expect(receipt).toMatchObject({
      price: 0.5,
      unit_type: "gpu_seconds",
      duration_ms: measuredMs,
      started_at: Math.floor(job.leaseStartedAt! / 1000),
      completed_at: Math.floor(job.completedAt! / 1000),
      units: (measuredMs + 1000) / 1000,
    });
    expect((await call("POST", "/v1/receipts/verify", { body: receipt })).body).toEqual({ valid: true, reasons: [] });
    expect(await settlementAmount(receipt.receipt_id)).toBe(0.5 * receipt.units);

    // What the miner claimed is kept, labelled as reported, beside the signed facts.
    const events = (await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" })).body.events;
    expect(events.find((e: { type: string }) => e.type === "completed").detail).toEqual({ reported_metrics: forged });
  });

  it("keeps the price agreed at lease when the miner re-registers with a higher one before its result", async () => {
    const { minerId, jobId, leaseId } = await leasedTo({ price: 0.5 });
    await registerMiner(minerId, { region: REGION, capabilities: { price: 1e12 } });
    const done = await minerCall(minerId, `/v1/miners/${jobId}/result`, {
      result: {},
      metrics: { units: 0.5, price: 1e12 },
      lease_id: leaseId,
    });
    expect(done.body.receipt).toMatchObject({ price: 0.5, units: 0.5 });
    expect(await settlementAmount(done.body.receipt.receipt_id)).toBe(0.25);
  });

  it("bounds gpu_seconds by the number of GPUs registered at lease", async () => {
    const gpu = { name: uniqueName("gpu"), memory_mb: 1 };
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: REGION, capabilities: { gpus: [gpu, gpu, gpu], price: 2 } });
    const job = await submit({ payload: {}, constraints: { region: REGION, gpu: gpu.name } });
    expect((await pollAs(minerId)).body.job_id).toBe(job.body.job_id);
    const done = await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: {}, metrics: { units: 1e9 } });
    expect(done.body.receipt.units).toBe(((done.body.receipt.duration_ms + 1000) * 3) / 1000);
  });

  it("caps other unit types at the client's max_units, and at 0 when the client set none", async () => {
    const capped = await leasedTo({ price: 0.001 }, { max_units: 300 });
    const within = await minerCall(capped.minerId, `/v1/miners/${capped.jobId}/result`, {
      result: {},
      metrics: { units: 250, unit_type: "tokens" },
    });
    expect(within.body.receipt).toMatchObject({ units: 250, unit_type: "tokens", price: 0.001 });
    const cappedAgain = await leasedTo({ price: 0.001 }, { max_units: 300 });
    const beyond = await minerCall(cappedAgain.minerId, `/v1/miners/${cappedAgain.jobId}/result`, {
      result: {},
      metrics: { units: 1e6, unit_type: "tokens" },
    });
    expect(beyond.body.receipt).toMatchObject({ units: 300, unit_type: "tokens" });

    const uncapped = await leasedTo({ price: 0.001 });
    const unbounded = await minerCall(uncapped.minerId, `/v1/miners/${uncapped.jobId}/result`, {
      result: {},
      metrics: { units: 1e6, unit_type: "tokens" },
    });
    expect(unbounded.status).toBe(200);
    expect(unbounded.body.receipt).toMatchObject({ units: 0, unit_type: "tokens" });
    expect(await settlementAmount(unbounded.body.receipt.receipt_id)).toBe(0);
  });

  it("takes max_units as a constraint, and refuses a bad one naming it", async () => {
    const ok = await submit({ payload: {}, constraints: { max_units: 10, gpu: "nobody-has-this" } });
    expect(ok.status).toBe(201);
    expect(ok.body.constraints).toEqual({ max_units: 10, gpu: "nobody-has-this" });
    const bad = await submit({ payload: {}, constraints: { max_units: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ field: "constraints.max_units", issue: expect.any(String) }]);
  });
});

describe("AITBC's coordinator flow", () => {
  it("gives a receipt to a miner without GPUs that polls and at once posts its result without lease_id", async () => {
    const created = await call("POST", "/v1/admin/keys", { key: "admin", body: { role: "miner", name: "aitbc flow" } });
    const bearer = (path: string, body: unknown) => call("POST", path, { body, headers: { Authorization: `Bearer ${created.body.key}` } });

    expect((await bearer("/v1/miners/register", { capabilities: { price: 1 } })).status).toBe(200);
    await submit({ payload: { prompt: "hello" }, priority: 100 });
    const polled = await bearer("/v1/miners/poll", { max_wait_seconds: 5 });
    expect(polled.status).toBe(200);
    const done = await bearer(`/v1/miners/${polled.body.job_id}/result`, {
      result: { units: 1, unit_type: "gpu_seconds", price: 1 },
      metrics: { units: 1, duration_ms: 500 },
    });
    expect(done.status).toBe(200);
    expect(done.body.receipt).toMatchObject({ job_id: polled.body.job_id, units: 1, unit_type: "gpu_seconds", price: 1 });
    expect((await call("POST", "/v1/receipts/verify", { body: done.body.receipt })).body.valid).toBe(true);
  });
});
