import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from "../../../src/lib/encoding";
import { canonicalJson } from "../../../src/receipts/canonical-json";
import { signBytes, verifyBytes } from "../../../src/receipts/ed25519";
import { importSigningSeed, keyIdFromPublicKeyHex } from "../../../src/receipts/keys";
import { SEEDS, VECTOR } from "./fixtures";

const encode = (text: string) => new TextEncoder().encode(text);

describe("the published receipt test vector (docs/receipts.md)", () => {
  it("derives the public key and key_id from the seed", async () => {
    const key = await importSigningSeed(VECTOR.seedHex);
    expect(key.publicKeyHex).toBe(VECTOR.publicKeyHex);
    expect(key.keyId).toBe(VECTOR.keyId);
    expect(keyIdFromPublicKeyHex(VECTOR.publicKeyHex)).toBe(VECTOR.keyId);
  });

  it("signs the canonical string to the published signature, which verifies", async () => {
    const key = await importSigningSeed(VECTOR.seedHex);
    expect(canonicalJson(JSON.parse(VECTOR.canonical))).toBe(VECTOR.canonical);
    expect(await signBytes(key, encode(VECTOR.canonical))).toBe(VECTOR.sig);
    expect(await verifyBytes(VECTOR.keyId, VECTOR.sig, encode(VECTOR.canonical))).toBe(true);
  });
});

describe("importSigningSeed", () => {
  it("keeps a private key that cannot be exported", async () => {
    const key = await importSigningSeed(VECTOR.seedHex);
    expect(key.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey("jwk", key.privateKey)).rejects.toThrow();
  });

  it("accepts an upper-case seed as the same key", async () => {
    expect((await importSigningSeed(VECTOR.seedHex.toUpperCase())).keyId).toBe(VECTOR.keyId);
  });

  it.each([
    ["too short", VECTOR.seedHex.slice(0, 62)],
    ["too long", `${VECTOR.seedHex}00`],
    ["not hex", `${VECTOR.seedHex.slice(0, 63)}g`],
    ["padded", ` ${VECTOR.seedHex}`],
    ["empty", ""],
  ])("refuses a seed that is %s without echoing it", async (_name, bad) => {
    const error = await importSigningSeed(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/64 hex/);
    expect((error as Error).message).not.toContain(VECTOR.seedHex.slice(0, 16));
  });
});

describe("keyIdFromPublicKeyHex", () => {
  it("refuses a key that is not 32 bytes", () => {
    expect(() => keyIdFromPublicKeyHex(VECTOR.publicKeyHex.slice(2))).toThrow();
  });
});

describe("interoperability with @noble/ed25519", () => {
  const seeds = [VECTOR.seedHex, SEEDS.attestation, SEEDS.retired, bytesToHex(crypto.getRandomValues(new Uint8Array(32)))];

  it.each(seeds)("agrees on the public key of seed %s", async (seedHex) => {
    const key = await importSigningSeed(seedHex);
    expect(bytesToHex(await ed.getPublicKeyAsync(hexToBytes(seedHex)))).toBe(key.publicKeyHex);
  });

  it.each(seeds)("Web Crypto signatures verify with noble, and noble's with Web Crypto (%s)", async (seedHex) => {
    const key = await importSigningSeed(seedHex);
    const message = encode(canonicalJson({ seed: seedHex.slice(0, 8), n: Math.random() }));
    const webSig = await signBytes(key, message);
    expect(await ed.verifyAsync(base64urlToBytes(webSig), message, hexToBytes(key.publicKeyHex))).toBe(true);
    const nobleSig = await ed.signAsync(message, hexToBytes(seedHex));
    expect(bytesToBase64url(nobleSig)).toBe(webSig);
    expect(await verifyBytes(key.keyId, bytesToBase64url(nobleSig), message)).toBe(true);
  });
});

describe("verifyBytes", () => {
  const message = encode(VECTOR.canonical);

  it("refuses another message, a flipped signature bit and another key", async () => {
    const other = await importSigningSeed(SEEDS.attestation);
    expect(await verifyBytes(VECTOR.keyId, VECTOR.sig, encode(`${VECTOR.canonical} `))).toBe(false);
    const flipped = base64urlToBytes(VECTOR.sig);
    flipped[10]! ^= 0x01;
    expect(await verifyBytes(VECTOR.keyId, bytesToBase64url(flipped), message)).toBe(false);
    expect(await verifyBytes(other.keyId, VECTOR.sig, message)).toBe(false);
  });

  it.each([
    ["an empty key id", "", VECTOR.sig],
    ["a padded key id", `${VECTOR.keyId}=`, VECTOR.sig],
    ["a 31-byte key id", bytesToBase64url(hexToBytes(VECTOR.publicKeyHex).slice(1)), VECTOR.sig],
    ["a hex key id", VECTOR.publicKeyHex, VECTOR.sig],
    ["a truncated signature", VECTOR.keyId, VECTOR.sig.slice(0, 80)],
    ["a signature in the standard alphabet", VECTOR.keyId, VECTOR.sig.replaceAll("-", "+").replaceAll("_", "/")],
    ["a signature with non-zero unused bits", VECTOR.keyId, `${VECTOR.sig.slice(0, -1)}h`],
    ["an all-zero key", bytesToBase64url(new Uint8Array(32)), VECTOR.sig],
  ])("answers false, without throwing, for %s", async (_name, keyId, sig) => {
    expect(await verifyBytes(keyId, sig, message)).toBe(false);
  });
});
