// Runs in workers-secrets-key-missing (SECRETS_ENCRYPTION_KEY_HEX unset) and workers-secrets-key-wrong
// (set, but not the key that sealed the stored HMAC secrets). The HMAC key is sealed under the key the
// coordinator had when it was created, as POST /v1/admin/keys would have sealed it.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { call } from "../helpers/api";
import { signV2 } from "../helpers/signing";
import { type StoredKey, storeKey } from "../helpers/stored-keys";
import { TEST_SEEDS } from "../helpers/test-bindings";

const problem = getConfig(env).secretsEncryptionKeyHex ? "secrets_key_wrong" : "secrets_key_missing";

const jobCount = async (): Promise<number> => (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>())!.n;

let signer: StoredKey;
let plain: StoredKey;

beforeAll(async () => {
  signer = await storeKey("client", { hmacSealedWith: TEST_SEEDS.secretsBox });
  plain = await storeKey("client");
});

describe(`with SECRETS_ENCRYPTION_KEY_HEX ${problem === "secrets_key_missing" ? "unset" : "wrong"}`, () => {
  it("refuses a key that must sign with 503 SIGNING_UNAVAILABLE, unsigned or signed, and serves nothing", async () => {
    const body = { payload: { n: 1 } };
    const before = await jobCount();
    const unsigned = await call("POST", "/v1/jobs", { body, headers: { "X-Api-Key": signer.key } });
    const signature = await signV2(signer.hmacSecret!, { method: "POST", path: "/v1/jobs", body: JSON.stringify(body) });
    const signed = await call("POST", "/v1/jobs", { body, headers: { "X-Api-Key": signer.key, "X-Signature": signature } });
    const listing = await call("GET", "/v1/jobs", { headers: { Authorization: `Bearer ${signer.key}` } });
    for (const refused of [unsigned, signed, listing]) {
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        error: { code: "SIGNING_UNAVAILABLE", message: expect.stringContaining("SECRETS_ENCRYPTION_KEY_HEX") },
        request_id: expect.any(String),
      });
    }
    expect(await jobCount()).toBe(before);
  });

  it("keeps serving keys without an HMAC secret", async () => {
    expect((await call("GET", "/v1/jobs", { headers: { "X-Api-Key": plain.key } })).status).toBe(200);
    expect((await call("GET", "/v1/jobs", { key: "client" })).status).toBe(200);
  });

  it("says what is broken in /v1/health, and keeps status ok for the callers it still serves", async () => {
    const health = await call("GET", "/v1/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok" });
    expect(health.body.problems).toEqual([{ code: "SIGNING_UNAVAILABLE", message: expect.stringContaining("SECRETS_ENCRYPTION_KEY_HEX") }]);
  });

  it("marks the broken keys in the admin key list", async () => {
    const list = await call("GET", "/v1/admin/keys?limit=100", { key: "admin" });
    const status = (keyId: string) => list.body.items.find((k: { key_id: string }) => k.key_id === keyId)?.hmac_status;
    expect(status(signer.keyId)).toBe(problem);
    expect(status(plain.keyId)).toBeNull();
  });
});
