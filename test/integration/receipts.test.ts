import { describe, expect, it } from "vitest";
import { importSigningSeed } from "../../src/receipts/keys";
import { signReceipt } from "../../src/receipts/sign-receipt";
import { call, minerCall, pollAs, soloMinerAndJob, submit } from "../helpers/api";
import { TEST_SEEDS } from "../helpers/test-bindings";

async function completedReceipt() {
  const { minerId, jobId } = await soloMinerAndJob("eu-west", { payload: { prompt: "p" } }, { price: 0.25 });
  const lease = await pollAs(minerId);
  const done = await minerCall(minerId, `/v1/miners/${jobId}/result`, {
    result: { out: "r" },
    metrics: { units: 0.5, unit_type: "gpu_seconds", price: 0.25, duration_ms: 3000 },
    lease_id: lease.body.lease_id,
  });
  return { receipt: done.body.receipt, jobId, minerId };
}

describe("receipts", () => {
  it("publishes the signing and attestation keys without auth", async () => {
    const res = await call("GET", "/v1/receipts/keys");
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([
      {
        key_id: "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q",
        alg: "Ed25519",
        use: "signing",
        status: "active",
        public_key_hex: "4c9bc7d00f69924d1cdee40c3650a2bcbb37191de2d53d93b5f21b2d3d27dbd4",
      },
      {
        key_id: expect.any(String),
        alg: "Ed25519",
        use: "attestation",
        status: "active",
        public_key_hex: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    expect(JSON.stringify(res.body)).not.toContain(TEST_SEEDS.signing);
  });

  it("issues a receipt with the contract's fields, principal ids and content hashes", async () => {
    const { receipt, jobId, minerId } = await completedReceipt();
    expect(receipt).toEqual({
      version: "1.0",
      receipt_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      job_id: jobId,
      provider: minerId,
      client: expect.stringMatching(/^cli_[0-9a-f]{16}$/),
      units: 0.5,
      unit_type: "gpu_seconds",
      price: 0.25,
      started_at: expect.any(Number),
      completed_at: expect.any(Number),
      duration_ms: expect.any(Number),
      coordinator_id: "edge-coordinator-local",
      nonce: expect.stringMatching(/^[0-9a-f]+$/),
      payload_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      result_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      signature: { alg: "Ed25519", key_id: "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q", sig: expect.any(String) },
      attestations: [{ alg: "Ed25519", key_id: expect.any(String), sig: expect.any(String) }],
    });
    expect(receipt.completed_at).toBeGreaterThanOrEqual(receipt.started_at);
  });

  it("verifies an issued receipt, and the {result, receipt} body /result returns", async () => {
    const { receipt, jobId } = await completedReceipt();
    expect((await call("POST", "/v1/receipts/verify", { body: receipt })).body).toEqual({ valid: true, reasons: [] });
    const pair = (await call("GET", `/v1/jobs/${jobId}/result`, { key: "client" })).body;
    expect(Object.keys(pair).sort()).toEqual(["receipt", "result"]);
    expect((await call("POST", "/v1/receipts/verify", { body: pair })).body).toEqual({ valid: true, reasons: [] });
  });

  it("judges the document it was sent, never a genuine receipt nested in a forged one", async () => {
    const { receipt } = await completedReceipt();
    const forged = { ...receipt, provider: "someone-else", price: 999999, signature: { ...receipt.signature, sig: "garbage" }, receipt };
    const res = await call("POST", "/v1/receipts/verify", { body: forged });
    // The forged top level keeps the genuine attestation, which does not cover its content either.
    expect(res.body).toEqual({ valid: false, reasons: ["SIGNATURE_INVALID", "ATTESTATION_INVALID: 0"] });
  });

  it("refuses a {result, receipt} pair whose result is not the one the receipt's result_hash covers", async () => {
    const { jobId } = await completedReceipt();
    const pair = (await call("GET", `/v1/jobs/${jobId}/result`, { key: "client" })).body;
    const res = await call("POST", "/v1/receipts/verify", { body: { ...pair, result: { out: "forged" } } });
    expect(res.body).toEqual({ valid: false, reasons: ["RESULT_MISMATCH"] });
  });

  it("refuses a tampered receipt and names why", async () => {
    const { receipt } = await completedReceipt();
    const res = await call("POST", "/v1/receipts/verify", { body: { ...receipt, price: 999 } });
    expect(res.body.valid).toBe(false);
    expect(res.body.reasons).toContain("SIGNATURE_INVALID");
  });

  it("refuses a receipt signed by a key the coordinator does not list", async () => {
    const { receipt } = await completedReceipt();
    const { signature, attestations, ...unsigned } = receipt;
    const stranger = await importSigningSeed("ab".repeat(32));
    const forged = await signReceipt(unsigned, stranger, stranger);
    const res = await call("POST", "/v1/receipts/verify", { body: forged });
    expect(res.body.valid).toBe(false);
    expect(res.body.reasons).toContain(`KEY_NOT_TRUSTED: ${stranger.keyId}`);
    expect(signature.key_id).not.toBe(stranger.keyId);
    expect(attestations).toHaveLength(1);
  });

  it("answers garbage with valid: false, never an error", async () => {
    const res = await call("POST", "/v1/receipts/verify", { body: { hello: "world" } });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.reasons[0]).toMatch(/^MALFORMED/);
  });

  it("stores the receipt and a pending settlement in D1", async () => {
    const { env } = await import("cloudflare:workers");
    const { receipt, jobId } = await completedReceipt();
    const row = await env.DB.prepare("SELECT receipt_id, seq FROM receipts WHERE job_id = ?").bind(jobId).first();
    expect(row).toEqual({ receipt_id: receipt.receipt_id, seq: 1 });
    const settlement = await env.DB.prepare("SELECT status, amount, provider FROM settlements WHERE receipt_id = ?")
      .bind(receipt.receipt_id)
      .first();
    expect(settlement).toEqual({ status: "pending", amount: 0.25 * 0.5, provider: receipt.provider });
  });
});

describe("receipt history", () => {
  it("appends a re-issued receipt: /receipts lists both oldest first, /receipt serves the newest, both verify", async () => {
    const { receipt, jobId } = await completedReceipt();
    const reissued = await call("POST", `/v1/admin/jobs/${jobId}/receipts`, { key: "admin" });
    expect(reissued.status).toBe(201);
    expect(reissued.body.receipt_id).not.toBe(receipt.receipt_id);
    expect({ ...reissued.body, receipt_id: 0, nonce: 0, signature: 0, attestations: 0 }).toEqual({
      ...receipt,
      receipt_id: 0,
      nonce: 0,
      signature: 0,
      attestations: 0,
    });
    const history = await call("GET", `/v1/jobs/${jobId}/receipts?limit=1`, { key: "client" });
    expect(history.body.items).toEqual([receipt]);
    const rest = await call("GET", `/v1/jobs/${jobId}/receipts?limit=1&cursor=${history.body.next_cursor}`, { key: "client" });
    expect(rest.body).toEqual({ items: [reissued.body], next_cursor: null });
    expect((await call("GET", `/v1/jobs/${jobId}/receipt`, { key: "client" })).body).toEqual(reissued.body);
    for (const r of [receipt, reissued.body]) expect((await call("POST", "/v1/receipts/verify", { body: r })).body.valid).toBe(true);
  });

  it("answers a re-issue for a job without receipts with 404", async () => {
    const job = await submit({ payload: {} });
    expect((await call("POST", `/v1/admin/jobs/${job.body.job_id}/receipts`, { key: "admin" })).status).toBe(404);
  });
});
