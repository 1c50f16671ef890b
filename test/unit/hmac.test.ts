import { describe, expect, it } from "vitest";
import { checkSignature, hmacHex, parseSignatureHeader, type SignedRequest, signingStringV1, signingStringV2 } from "../../src/auth/hmac";
import { openSecret, sealSecret, tryOpenSecret } from "../../src/auth/secret-box";
import { type Signable, signV1, signV2 } from "../helpers/signing";

const bodyText = '{"payload":{}}';
const NOW = 1_800_000_000;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const request = (over: Partial<SignedRequest> = {}): SignedRequest => ({
  method: "get",
  pathAndQuery: "/v1/jobs?limit=1",
  body: new Uint8Array(),
  ...over,
});

describe("parseSignatureHeader", () => {
  const mac = "a".repeat(64);
  it("reads t with v1, v2 or both, in any order", () => {
    expect(parseSignatureHeader(`t=12,v1=${mac}`)).toEqual({ timestamp: 12, v1: mac });
    expect(parseSignatureHeader(`v2=${mac}, t=12`)).toEqual({ timestamp: 12, v2: mac });
    expect(parseSignatureHeader(`t=12,v1=${mac},v2=${"b".repeat(64)}`)).toEqual({ timestamp: 12, v1: mac, v2: "b".repeat(64) });
  });

  it("refuses anything else", () => {
    for (const bad of ["", "t=12", `v1=${mac}`, `t=x,v1=${mac}`, "t=12,v1=abc", `t=12,v1=${"A".repeat(64)}`, `t=12,v2=${mac},v1=zz`]) {
      expect(parseSignatureHeader(bad), bad).toBeNull();
    }
  });
});

describe("signing strings", () => {
  it("v1 is <t>.<METHOD>.<path?query>.<hex sha256(body)>", async () => {
    expect(await signingStringV1(5, request())).toBe(`5.GET./v1/jobs?limit=1.${EMPTY_SHA256}`);
  });

  it("v2 is t, METHOD, path?query, X-Miner-Id, Idempotency-Key and hex sha256(body), one per line", async () => {
    expect(await signingStringV2(5, request({ minerId: "rig.7", idempotencyKey: "k.1" }))).toBe(
      `5\nGET\n/v1/jobs?limit=1\nrig.7\nk.1\n${EMPTY_SHA256}`,
    );
    expect(await signingStringV2(5, request())).toBe(`5\nGET\n/v1/jobs?limit=1\n\n\n${EMPTY_SHA256}`);
  });

  it("matches the worked example in docs/security.md", async () => {
    const signed = await signingStringV2(1767225600, {
      method: "POST",
      pathAndQuery: "/v1/miners/poll",
      minerId: "rig-7",
      body: new TextEncoder().encode('{"max_wait_seconds":0}'),
    });
    expect(signed.split("\n").at(-1)).toBe("a351aed332a83220327ca2e7fc71bc51393c6cc5b228572c00af84541b70a9bc");
    expect(await hmacHex("example-hmac-secret", signed)).toBe("19d7ba24ee8aa799db358fa3d3a493f3c9ee8e41d88b927c4c7186f84947bd9c");
  });
});

describe("checkSignature", () => {
  const post: Signable = { method: "POST", path: "/v1/jobs", body: bodyText };
  const received = (over: Partial<SignedRequest> = {}) => ({
    secret: "s3cret",
    method: "POST",
    pathAndQuery: "/v1/jobs",
    body: new TextEncoder().encode(bodyText),
    nowSeconds: NOW,
    ...over,
  });

  it("accepts a v2 or a v1 signature within 300 s of now", async () => {
    expect(await checkSignature(await signV2("s3cret", post, NOW - 300), received())).toMatchObject({ ok: true, timestamp: NOW - 300 });
    expect(await checkSignature(await signV1("s3cret", post, NOW + 300), received())).toMatchObject({ ok: true });
  });

  it("names why it refuses", async () => {
    expect(await checkSignature(undefined, received())).toMatchObject({ ok: false, reason: "SIGNATURE_REQUIRED" });
    expect(await checkSignature("nonsense", received())).toMatchObject({ ok: false, reason: "SIGNATURE_MALFORMED" });
    expect(await checkSignature(await signV2("s3cret", post, NOW - 301), received())).toMatchObject({
      ok: false,
      reason: "SIGNATURE_EXPIRED",
    });
    for (const wrong of [
      await signV2("other", post, NOW),
      await signV2("s3cret", { ...post, method: "PUT" }, NOW),
      await signV2("s3cret", { ...post, path: "/v1/jobs?x=1" }, NOW),
      await signV2("s3cret", { ...post, body: "{}" }, NOW),
      await signV1("s3cret", { ...post, body: "{}" }, NOW),
    ]) {
      expect(await checkSignature(wrong, received()), wrong).toMatchObject({ ok: false, reason: "SIGNATURE_INVALID" });
    }
  });

  it("binds a v2 signature to X-Miner-Id and Idempotency-Key", async () => {
    const signed = await signV2("s3cret", { ...post, minerId: "rig-1", idempotencyKey: "once" }, NOW);
    expect(await checkSignature(signed, received({ minerId: "rig-1", idempotencyKey: "once" }))).toMatchObject({ ok: true });
    for (const moved of [
      { minerId: "rig-2", idempotencyKey: "once" },
      { minerId: "rig-1", idempotencyKey: "twice" },
      { minerId: "rig-1" },
      {},
    ]) {
      expect(await checkSignature(signed, received(moved)), JSON.stringify(moved)).toMatchObject({
        ok: false,
        reason: "SIGNATURE_INVALID",
      });
    }
  });

  it("refuses v1, which does not cover them, on a request with X-Miner-Id or Idempotency-Key", async () => {
    const v1 = await signV1("s3cret", post, NOW);
    for (const headers of [{ minerId: "rig-1" }, { idempotencyKey: "once" }]) {
      expect(await checkSignature(v1, received(headers))).toMatchObject({ ok: false, reason: "SIGNATURE_V2_REQUIRED" });
    }
  });

  it("checks v2 when both are sent", async () => {
    const v1 = (await signV1("s3cret", post, NOW)).split(",")[1];
    const v2 = await signV2("s3cret", post, NOW);
    expect(await checkSignature(`${v2},${v1}`, received())).toMatchObject({ ok: true, signature: v2.split("v2=")[1] });
    expect(await checkSignature(`t=${NOW},${v1},v2=${"0".repeat(64)}`, received())).toMatchObject({
      ok: false,
      reason: "SIGNATURE_INVALID",
    });
  });
});

describe("secret box", () => {
  const key = "11".repeat(32);
  it("seals so the secret is not readable and opens it back", async () => {
    const sealed = await sealSecret(key, "hmac-secret-value");
    expect(sealed).not.toContain("hmac-secret-value");
    expect(await openSecret(key, sealed)).toBe("hmac-secret-value");
    expect(await sealSecret(key, "hmac-secret-value")).not.toBe(sealed);
  });

  it("refuses to open with another key or a tampered box", async () => {
    const sealed = await sealSecret(key, "x");
    await expect(openSecret("22".repeat(32), sealed)).rejects.toThrow();
    await expect(openSecret(key, `${sealed.slice(0, -2)}AA`)).rejects.toThrow();
  });

  it("says why a secret cannot be opened instead of throwing", async () => {
    const sealed = await sealSecret(key, "x");
    expect(await tryOpenSecret(key, sealed)).toEqual({ secret: "x" });
    expect(await tryOpenSecret(undefined, sealed)).toEqual({ problem: "secrets_key_missing" });
    expect(await tryOpenSecret("22".repeat(32), sealed)).toEqual({ problem: "secrets_key_wrong" });
  });
});
