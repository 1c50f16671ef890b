import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as keyRoutes from "../../src/routes/admin/keys.routes";
import { call, callRoute, uniqueName } from "../helpers/api";
import { signV1, signV2 } from "../helpers/signing";
import { storeKey } from "../helpers/stored-keys";

async function createKey(body: Record<string, unknown>) {
  const res = await callRoute(keyRoutes.createKey, { key: "admin", body });
  expect(res.status).toBe(201);
  return res.body;
}

/** A call with a key the test created; `body` is sent exactly as given, as signatures cover its bytes. */
function withKey(key: string, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const contentType: Record<string, string> = init.body === undefined ? {} : { "content-type": "application/json" };
  return call(method, path, { rawBody: init.body, headers: { "X-Api-Key": key, ...init.headers, ...contentType } });
}

const signed = (secret: string, method: string, path: string, body: string, at?: number) => signV2(secret, { method, path, body }, at);

describe("admin key management", () => {
  it("creates a key shown once, stores only its hash, and the key works for its role", async () => {
    const created = await createKey({ role: "client", name: "ci bot" });
    expect(created).toEqual({
      key_id: expect.stringMatching(/^key_/),
      principal_id: expect.stringMatching(/^cli_/),
      role: "client",
      name: "ci bot",
      key: expect.stringMatching(/^ec_client_/),
    });
    const stored = await env.DB.prepare("SELECT * FROM api_keys WHERE key_id = ?").bind(created.key_id).first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect((await withKey(created.key, "GET", "/v1/jobs")).status).toBe(200);
    expect((await withKey(created.key, "GET", "/v1/admin/stats")).status).toBe(403);
  });

  it("lists keys with principal, role, name, times and revocation, never a secret", async () => {
    const created = await createKey({ role: "miner", name: "rig 7", hmac: true });
    const unsigned = await withKey(created.key, "POST", "/v1/miners/heartbeat", { body: "{}" });
    expect(unsigned.status).toBe(401);
    const list = await call("GET", "/v1/admin/keys?limit=100", { key: "admin" });
    expect(list.status).toBe(200);
    const view = list.body.items.find((k: { key_id: string }) => k.key_id === created.key_id);
    expect(view).toEqual({
      key_id: created.key_id,
      principal_id: created.principal_id,
      role: "miner",
      name: "rig 7",
      source: "admin",
      hmac: true,
      hmac_status: "ok",
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
    });
    expect(list.body.items.some((k: { source: string }) => k.source === "env")).toBe(true);
    const signedCall = await withKey(created.key, "POST", "/v1/miners/heartbeat", {
      body: "{}",
      headers: { "X-Signature": await signed(created.hmac_secret!, "POST", "/v1/miners/heartbeat", "{}") },
    });
    expect(signedCall.status).toBe(404);
    const after = await call("GET", "/v1/admin/keys?limit=100", { key: "admin" });
    expect(after.body.items.find((k: { key_id: string }) => k.key_id === created.key_id).last_used_at).toEqual(expect.any(String));
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(created.hmac_secret);
  });

  it("refuses a revoked key at once on this isolate, and revoking twice is harmless", async () => {
    const created = await createKey({ role: "client", name: "temp" });
    expect((await withKey(created.key, "GET", "/v1/jobs")).status).toBe(200);
    const revoke = () => callRoute(keyRoutes.revokeKey, { key: "admin", params: { key_id: created.key_id } });
    const revoked = await revoke();
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect((await withKey(created.key, "GET", "/v1/jobs")).status).toBe(401);
    const again = await revoke();
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it("refuses to revoke bootstrap keys and answers 404 for unknown ones", async () => {
    const list = await call("GET", "/v1/admin/keys?limit=100", { key: "admin" });
    const envKey = list.body.items.find((k: { source: string }) => k.source === "env");
    expect((await call("DELETE", `/v1/admin/keys/${envKey.key_id}`, { key: "admin" })).status).toBe(409);
    expect((await call("DELETE", "/v1/admin/keys/key_nope", { key: "admin" })).status).toBe(404);
  });

  it("refuses a bootstrap key once it is removed from the environment, and lists it no more", async () => {
    // The row the coordinator recorded while the key was a bootstrap key; the environment no longer has it.
    const removed = await storeKey("admin", { source: "env" });
    expect((await withKey(removed.key, "GET", "/v1/admin/stats")).status).toBe(401);
    const list = await call("GET", "/v1/admin/keys?limit=100", { key: "admin" });
    expect(list.body.items.map((k: { key_id: string }) => k.key_id)).not.toContain(removed.keyId);
    expect(list.body.items.filter((k: { source: string }) => k.source === "env").map((k: { role: string }) => k.role)).toEqual(
      expect.arrayContaining(["client", "miner", "admin"]),
    );
  });

  it("refuses bad create bodies with 422", async () => {
    expect((await call("POST", "/v1/admin/keys", { key: "admin", body: { role: "root", name: "x" } })).status).toBe(422);
    expect((await call("POST", "/v1/admin/keys", { key: "admin", body: { role: "client", name: "" } })).status).toBe(422);
  });
});

describe("HMAC request signing", () => {
  it("accepts a correctly signed request from a key with a secret (v2, or v1 without X-Miner-Id and Idempotency-Key)", async () => {
    const created = await createKey({ role: "client", name: "signer", hmac: true });
    expect(created.hmac_secret).toMatch(/^[0-9a-f]{64}$/);
    const body = JSON.stringify({ payload: { signed: true } });
    const res = await withKey(created.key, "POST", "/v1/jobs", {
      body,
      headers: { "X-Signature": await signed(created.hmac_secret!, "POST", "/v1/jobs", body) },
    });
    expect(res.status).toBe(201);
    const list = await withKey(created.key, "GET", "/v1/jobs?limit=5", {
      headers: { "X-Signature": await signed(created.hmac_secret!, "GET", "/v1/jobs?limit=5", "") },
    });
    expect(list.status).toBe(200);
    const v1 = await signV1(created.hmac_secret!, { method: "GET", path: "/v1/jobs?limit=4" });
    expect((await withKey(created.key, "GET", "/v1/jobs?limit=4", { headers: { "X-Signature": v1 } })).status).toBe(200);
  });

  it("refuses unsigned, skewed, tampered-body, tampered-path and replayed requests with 401 and a reason", async () => {
    const created = await createKey({ role: "client", name: "signer", hmac: true });
    const secret = created.hmac_secret!;
    const body = JSON.stringify({ payload: { n: 1 } });
    const reason = (res: { body: { error: { code: string; details: { field: string; issue: string }[] } } }) => {
      expect(res.body.error.code).toBe("UNAUTHORIZED_KEY");
      return res.body.error.details[0]!.issue;
    };
    const unsigned = await withKey(created.key, "POST", "/v1/jobs", { body });
    expect(unsigned.status).toBe(401);
    expect(reason(unsigned)).toBe("SIGNATURE_REQUIRED");

    const skewed = await withKey(created.key, "POST", "/v1/jobs", {
      body,
      headers: { "X-Signature": await signed(secret, "POST", "/v1/jobs", body, Math.floor(Date.now() / 1000) - 301) },
    });
    expect(skewed.status).toBe(401);
    expect(reason(skewed)).toBe("SIGNATURE_EXPIRED");

    const sigForOther = await signed(secret, "POST", "/v1/jobs", JSON.stringify({ payload: { n: 2 } }));
    const tamperedBody = await withKey(created.key, "POST", "/v1/jobs", { body, headers: { "X-Signature": sigForOther } });
    expect(reason(tamperedBody)).toBe("SIGNATURE_INVALID");

    const sigForBatch = await signed(secret, "POST", "/v1/jobs/batch", body);
    const tamperedPath = await withKey(created.key, "POST", "/v1/jobs", { body, headers: { "X-Signature": sigForBatch } });
    expect(reason(tamperedPath)).toBe("SIGNATURE_INVALID");

    const good = await signed(secret, "POST", "/v1/jobs", body);
    expect((await withKey(created.key, "POST", "/v1/jobs", { body, headers: { "X-Signature": good } })).status).toBe(201);
    const replay = await withKey(created.key, "POST", "/v1/jobs", { body, headers: { "X-Signature": good } });
    expect(replay.status).toBe(401);
    expect(reason(replay)).toBe("SIGNATURE_REPLAYED");

    const garbage = await withKey(created.key, "POST", "/v1/jobs", { body, headers: { "X-Signature": "v1=zz" } });
    expect(reason(garbage)).toBe("SIGNATURE_MALFORMED");
  });

  it("refuses a signed call moved to another miner of the same key (the signature covers X-Miner-Id)", async () => {
    const created = await createKey({ role: "miner", name: "two rigs", hmac: true });
    const secret = created.hmac_secret!;
    const [rigA, rigB] = [uniqueName("rig"), uniqueName("rig")];
    for (const minerId of [rigA, rigB]) {
      const body = JSON.stringify({ miner_id: minerId, capabilities: {} });
      const registered = await withKey(created.key, "POST", "/v1/miners/register", {
        body,
        headers: { "X-Signature": await signed(secret, "POST", "/v1/miners/register", body) },
      });
      expect(registered.status).toBe(200);
    }
    const body = JSON.stringify({ inflight: 0 });
    const forA = await signV2(secret, { method: "POST", path: "/v1/miners/heartbeat", body, minerId: rigA });
    const moved = await withKey(created.key, "POST", "/v1/miners/heartbeat", {
      body,
      headers: { "X-Miner-Id": rigB, "X-Signature": forA },
    });
    expect(moved.status).toBe(401);
    expect(moved.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_INVALID" }]);
    const asSigned = await withKey(created.key, "POST", "/v1/miners/heartbeat", {
      body,
      headers: { "X-Miner-Id": rigA, "X-Signature": forA },
    });
    expect(asSigned.status).toBe(200);

    const v1 = await signV1(secret, { method: "POST", path: "/v1/miners/heartbeat", body });
    const v1WithMiner = await withKey(created.key, "POST", "/v1/miners/heartbeat", {
      body,
      headers: { "X-Miner-Id": rigB, "X-Signature": v1 },
    });
    expect(v1WithMiner.status).toBe(401);
    expect(v1WithMiner.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_V2_REQUIRED" }]);
  });

  it("refuses a signed submit whose Idempotency-Key was changed or dropped (the signature covers it)", async () => {
    const created = await createKey({ role: "client", name: "idempotent signer", hmac: true });
    const secret = created.hmac_secret!;
    const body = JSON.stringify({ payload: { n: 3 } });
    const idempotencyKey = uniqueName("idem");
    const signature = await signV2(secret, { method: "POST", path: "/v1/jobs", body, idempotencyKey });
    for (const headers of [{ "Idempotency-Key": `${idempotencyKey}-2` }, {}] as Record<string, string>[]) {
      const changed = await withKey(created.key, "POST", "/v1/jobs", { body, headers: { ...headers, "X-Signature": signature } });
      expect(changed.status, JSON.stringify(headers)).toBe(401);
      expect(changed.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_INVALID" }]);
    }
    const asSigned = await withKey(created.key, "POST", "/v1/jobs", {
      body,
      headers: { "Idempotency-Key": idempotencyKey, "X-Signature": signature },
    });
    expect(asSigned.status).toBe(201);

    const v1 = await signV1(secret, { method: "POST", path: "/v1/jobs", body });
    const v1WithKey = await withKey(created.key, "POST", "/v1/jobs", {
      body,
      headers: { "Idempotency-Key": uniqueName("idem"), "X-Signature": v1 },
    });
    expect(v1WithKey.status).toBe(401);
    expect(v1WithKey.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_V2_REQUIRED" }]);
  });

  it("remembers signatures across isolates (replay memory lives in a Durable Object)", async () => {
    const created = await createKey({ role: "client", name: "replay", hmac: true });
    const at = Math.floor(Date.now() / 1000);
    const guard = env.REPLAY_GUARD.get(env.REPLAY_GUARD.idFromName(`principal:${created.principal_id}`));
    const sig = "ab".repeat(32);
    expect(await guard.firstUse(sig, at)).toBe(true);
    expect(await guard.firstUse(sig, at)).toBe(false);
  });

  it("refuses to create HMAC keys for a key that is not admin", async () => {
    expect((await call("POST", "/v1/admin/keys", { key: "client", body: { role: "client", name: "x", hmac: true } })).status).toBe(403);
  });
});
