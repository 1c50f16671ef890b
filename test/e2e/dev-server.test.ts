// The README's first command, for real: `node scripts/dev.mjs` starts `wrangler dev`, and one job goes
// through it over HTTP, from miner registration to a receipt verified with node:crypto.
//
// The server runs on throwaway state and a throwaway vars file (scripts/dev-server.mjs), so a
// developer's .dev.vars and .wrangler/state are never read or written.
import { createPrivateKey, createPublicKey, type KeyObject, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import canonicalize from "canonicalize";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DevServer, firstKey as firstKeyOf, startDevServer } from "../../scripts/dev-server.mjs";

const PKCS8_ED25519_SEED_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

let server: DevServer | undefined;
let base = "";
let vars: Record<string, string> = {};

const firstKey = (name: string): string => firstKeyOf(vars, name);

interface Reply {
  status: number;
  body: any;
}

async function call(method: string, path: string, key?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { "X-Api-Key": key } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the failure message
  }
  return { status: res.status, body: parsed };
}

// Canonical bytes of a receipt: everything but signature and attestations, nulls dropped at every
// depth, RFC 8785 (JCS) via `canonicalize`, UTF-8.
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

function signedBytes(receipt: Record<string, unknown>): Buffer {
  const { signature: _signature, attestations: _attestations, ...rest } = receipt;
  return Buffer.from(canonicalize(dropNulls(rest))!, "utf8");
}

const publicKeyFromKeyId = (keyId: string): KeyObject => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: keyId }, format: "jwk" });

function keyIdFromSeed(seedHex: string): string {
  const der = Buffer.concat([PKCS8_ED25519_SEED_PREFIX, Buffer.from(seedHex, "hex")]);
  const publicKey = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  return (publicKey.export({ format: "jwk" }) as { x: string }).x;
}

function verifies(sig: { alg: string; key_id: string; sig: string }, bytes: Buffer): boolean {
  expect(sig.alg).toBe("Ed25519");
  return verify(null, bytes, publicKeyFromKeyId(sig.key_id), Buffer.from(sig.sig, "base64url"));
}

beforeAll(async () => {
  server = await startDevServer();
  base = server.base;
  vars = server.vars;
  expect(base).toBe(`http://127.0.0.1:${server.port}`);
});

afterAll(async () => {
  await server?.stop();
});

describe("npm start (scripts/dev.mjs) serves a whole job over HTTP", () => {
  let clientKey = "";
  let minerKey = "";
  let minerId = "";
  let jobId = "";
  let leaseId = "";
  let receipt: Record<string, any> = {};
  let logShown = false;

  // On the first failure, show what the server printed: the HTTP status alone rarely says why.
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      if (logShown) return;
      logShown = true;
      console.error(`--- dev server output (last 4000 chars) ---\n${server?.output().slice(-4000)}`);
    });
  });

  it("created the vars file from the example, with fresh receipt seeds", () => {
    clientKey = firstKey("CLIENT_API_KEYS");
    minerKey = firstKey("MINER_API_KEYS");
    expect(vars.RECEIPT_SIGNING_KEY_HEX).toMatch(/^[0-9a-f]{64}$/);
    expect(vars.RECEIPT_ATTESTATION_KEY_HEX).toMatch(/^[0-9a-f]{64}$/);
    expect(vars.RECEIPT_ATTESTATION_KEY_HEX).not.toBe(vars.RECEIPT_SIGNING_KEY_HEX);
  });

  it("answers GET /v1/health", async () => {
    const res = await call("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", env: "development" });
  });

  it("started offline without a warning (no Request.cf download, types in step with wrangler.toml)", () => {
    const warnings = server!
      .output()
      .split("\n")
      .filter((line) => /warn|Unable to fetch|out of date/i.test(line));
    expect(warnings).toEqual([]);
  });

  it("registers a miner", async () => {
    const res = await call("POST", "/v1/miners/register", minerKey, {
      capabilities: { gpus: [{ name: "A100", memory_mb: 81920 }], cuda: "12.4", models: ["llama3"] },
      concurrency: 1,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "ok" });
    minerId = res.body.miner_id;
    expect(minerId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it("takes a job from a client", async () => {
    const res = await call("POST", "/v1/jobs", clientKey, { payload: { prompt: "hi" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.state).toBe("QUEUED");
    jobId = res.body.job_id;
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("hands the job to the polling miner", async () => {
    const res = await call("POST", "/v1/miners/poll", minerKey, { max_wait_seconds: 5 }, { "X-Miner-Id": minerId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ job_id: jobId, payload: { prompt: "hi" } });
    leaseId = res.body.lease_id;
    expect(typeof leaseId).toBe("string");
  });

  it("accepts the miner's result and answers with a signed receipt", async () => {
    const res = await call(
      "POST",
      `/v1/miners/${jobId}/result`,
      minerKey,
      { result: { text: "ok" }, metrics: { units: 1, duration_ms: 1000 }, lease_id: leaseId },
      { "X-Miner-Id": minerId },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe("ok");
    receipt = res.body.receipt;
    expect(receipt).toMatchObject({
      version: "1.0",
      job_id: jobId,
      provider: minerId,
      units: 1,
      coordinator_id: vars.COORDINATOR_ID,
      signature: { alg: "Ed25519" },
    });
    // duration_ms is the coordinator's measurement (lease to result), not the miner's 1000.
    expect(receipt.duration_ms / 1000).toBeGreaterThan(receipt.completed_at - receipt.started_at - 1);
    expect(receipt.duration_ms / 1000).toBeLessThan(receipt.completed_at - receipt.started_at + 1);
    expect(receipt.result_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("shows the client a COMPLETED job, its result and the same receipt", async () => {
    const job = await call("GET", `/v1/jobs/${jobId}`, clientKey);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ job_id: jobId, state: "COMPLETED", assigned_miner_id: minerId });

    const result = await call("GET", `/v1/jobs/${jobId}/result`, clientKey);
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body.result).toEqual({ text: "ok" });
    expect(result.body.receipt).toEqual(receipt);
  });

  it("issued a receipt that verifies with node:crypto against the published keys", async () => {
    const bytes = signedBytes(receipt);
    // A verifier trusts only keys the coordinator publishes; they must be the ones derived from the
    // seeds in the vars file this server was started with.
    const published = await call("GET", "/v1/receipts/keys");
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    expect(published.body.coordinator_id).toBe(vars.COORDINATOR_ID);
    const keys: Array<{ key_id: string; use: string; status: string; public_key_hex: string }> = published.body.keys;
    for (const key of keys) expect(Buffer.from(key.key_id, "base64url").toString("hex")).toBe(key.public_key_hex);
    const active = (use: string) => keys.filter((k) => k.use === use && k.status === "active").map((k) => k.key_id);
    const signingKeyIds = active("signing");
    const attestationKeyIds = active("attestation");
    expect(signingKeyIds).toEqual([keyIdFromSeed(vars.RECEIPT_SIGNING_KEY_HEX!)]);
    expect(attestationKeyIds).toEqual([keyIdFromSeed(vars.RECEIPT_ATTESTATION_KEY_HEX!)]);

    expect(signingKeyIds).toContain(receipt.signature.key_id);
    expect(verifies(receipt.signature, bytes)).toBe(true);

    expect(receipt.attestations?.length ?? 0).toBeGreaterThan(0);
    for (const attestation of receipt.attestations) {
      expect(attestationKeyIds).toContain(attestation.key_id);
      expect(verifies(attestation, bytes)).toBe(true);
    }

    // A changed byte breaks the signature.
    expect(verifies(receipt.signature, signedBytes({ ...receipt, units: 2 }))).toBe(false);
  });

  it("agrees with the coordinator's own verifier", async () => {
    const good = await call("POST", "/v1/receipts/verify", undefined, receipt);
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body).toEqual({ valid: true, reasons: [] });
    const bad = await call("POST", "/v1/receipts/verify", undefined, { ...receipt, units: 2 });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
  });
});

describe("the API reference, as wrangler bundles it", () => {
  it("serves an /openapi.json that validates against the OpenAPI 3.1 schema", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const validator = new Validator();
    const verdict = await validator.validate(res.body);
    expect(verdict.errors ?? [], JSON.stringify(verdict.errors)?.slice(0, 2000)).toEqual([]);
    expect([verdict.valid, validator.version]).toEqual([true, "3.1"]);
  });

  it("serves /docs with Scalar's script from the Worker itself, byte for byte the package's", async () => {
    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const src = html.match(/<script src="([^"]+)"/)?.[1];
    expect(src).toBe("/assets/scalar/standalone.js");
    const script = await fetch(`${base}${src}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const packaged = readFileSync(
      fileURLToPath(new URL("../../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url)),
      "utf8",
    );
    expect((await script.text()) === packaged).toBe(true);
  });
});
