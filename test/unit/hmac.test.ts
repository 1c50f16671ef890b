import { describe, expect, it } from "vitest";
import { checkSignature, hmacHex, parseSignatureHeader, signingString } from "../../src/auth/hmac";
import { openSecret, sealSecret } from "../../src/auth/secret-box";

const body = new TextEncoder().encode('{"payload":{}}');
const NOW = 1_800_000_000;

async function header(secret: string, at: number, method = "POST", path = "/v1/jobs", bytes = body) {
  return `t=${at},v1=${await hmacHex(secret, await signingString(at, method, path, bytes))}`;
}

describe("parseSignatureHeader", () => {
  it("reads t and v1 in any order and refuses anything else", () => {
    const v1 = "a".repeat(64);
    expect(parseSignatureHeader(`t=12,v1=${v1}`)).toEqual({ timestamp: 12, signature: v1 });
    expect(parseSignatureHeader(`v1=${v1}, t=12`)).toEqual({ timestamp: 12, signature: v1 });
    for (const bad of ["", "t=12", `v1=${v1}`, `t=x,v1=${v1}`, "t=12,v1=abc", `t=12,v1=${"A".repeat(64)}`]) {
      expect(parseSignatureHeader(bad), bad).toBeNull();
    }
  });
});

describe("signingString", () => {
  it("is <t>.<METHOD>.<path?query>.<hex sha256(body)>", async () => {
    expect(await signingString(5, "get", "/v1/jobs?limit=1", new Uint8Array())).toBe(
      "5.GET./v1/jobs?limit=1.e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});

describe("checkSignature", () => {
  const request = { secret: "s3cret", method: "POST", pathAndQuery: "/v1/jobs", body, nowSeconds: NOW };

  it("accepts a signature within 300 s of now", async () => {
    expect(await checkSignature(await header("s3cret", NOW - 300), request)).toMatchObject({ ok: true, timestamp: NOW - 300 });
    expect(await checkSignature(await header("s3cret", NOW + 300), request)).toMatchObject({ ok: true });
  });

  it("names why it refuses", async () => {
    expect(await checkSignature(undefined, request)).toMatchObject({ ok: false, reason: "SIGNATURE_REQUIRED" });
    expect(await checkSignature("nonsense", request)).toMatchObject({ ok: false, reason: "SIGNATURE_MALFORMED" });
    expect(await checkSignature(await header("s3cret", NOW - 301), request)).toMatchObject({ ok: false, reason: "SIGNATURE_EXPIRED" });
    expect(await checkSignature(await header("other", NOW), request)).toMatchObject({ ok: false, reason: "SIGNATURE_INVALID" });
    expect(await checkSignature(await header("s3cret", NOW, "PUT"), request)).toMatchObject({ ok: false, reason: "SIGNATURE_INVALID" });
    expect(await checkSignature(await header("s3cret", NOW, "POST", "/v1/jobs?x=1"), request)).toMatchObject({ ok: false, reason: "SIGNATURE_INVALID" });
    expect(await checkSignature(await header("s3cret", NOW, "POST", "/v1/jobs", new Uint8Array([1])), request)).toMatchObject({ ok: false, reason: "SIGNATURE_INVALID" });
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
});
