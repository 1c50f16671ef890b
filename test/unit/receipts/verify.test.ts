import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { base64urlToBytes, bytesToBase64url } from "../../../src/lib/encoding";
import type { Receipt } from "../../../src/model/receipt";
import { buildUnsignedReceipt } from "../../../src/receipts/build";
import { contentHash } from "../../../src/receipts/canonical-json";
import { importSigningSeed, type ReceiptKey } from "../../../src/receipts/keys";
import { signReceipt } from "../../../src/receipts/sign-receipt";
import { type TrustedKey, verifyReceipt } from "../../../src/receipts/verify";
import { SEEDS, sampleInput, VECTOR } from "./fixtures";

let signing: ReceiptKey;
let attestation: ReceiptKey;
let retired: ReceiptKey;
let unlisted: ReceiptKey;
let trusted: TrustedKey[];
let receipt: Receipt;

beforeAll(async () => {
  [signing, attestation, retired, unlisted] = await Promise.all([
    importSigningSeed(VECTOR.seedHex),
    importSigningSeed(SEEDS.attestation),
    importSigningSeed(SEEDS.retired),
    importSigningSeed(SEEDS.unlisted),
  ]);
  trusted = [
    { key_id: signing.keyId, use: "signing", status: "active" },
    { key_id: retired.keyId, use: "signing", status: "retired" },
    { key_id: attestation.keyId, use: "attestation", status: "active" },
  ];
  receipt = await signReceipt(buildUnsignedReceipt(sampleInput({ chainId: 12345 })), signing, attestation);
});

const copy = (): Record<string, unknown> => JSON.parse(JSON.stringify(receipt));
const signingOnly = (): TrustedKey[] => trusted.filter((k) => k.use === "signing");

describe("verifyReceipt: receipts that verify", () => {
  it("accepts a receipt it built and signed, also after a JSON round trip", async () => {
    expect(await verifyReceipt(receipt, trusted)).toEqual({ valid: true, reasons: [] });
    expect(await verifyReceipt(copy(), trusted)).toEqual({ valid: true, reasons: [] });
  });

  it("accepts a receipt signed by a retired signing key", async () => {
    const old = await signReceipt(buildUnsignedReceipt(sampleInput()), retired, attestation);
    expect(await verifyReceipt(old, trusted)).toEqual({ valid: true, reasons: [] });
  });

  it("accepts a receipt without attestations when no attestation key is active", async () => {
    const plain = await signReceipt(buildUnsignedReceipt(sampleInput()), signing);
    expect(await verifyReceipt(plain, signingOnly())).toEqual({ valid: true, reasons: [] });
    const retiredAttestation: TrustedKey[] = [...signingOnly(), { key_id: attestation.keyId, use: "attestation", status: "retired" }];
    expect(await verifyReceipt(plain, retiredAttestation)).toEqual({ valid: true, reasons: [] });
  });

  it("treats a null member as absent, as the canonical form does", async () => {
    expect(await verifyReceipt({ ...copy(), memo: null }, trusted)).toEqual({ valid: true, reasons: [] });
  });

  it("covers every member as received, even one named __proto__", async () => {
    const unsigned = { ...buildUnsignedReceipt(sampleInput()), ...JSON.parse('{"__proto__":{"tier":"gold"}}') };
    const signed = await signReceipt(unsigned, signing, attestation);
    expect(await verifyReceipt(JSON.parse(JSON.stringify(signed)), trusted)).toEqual({ valid: true, reasons: [] });
    const tampered = JSON.parse(JSON.stringify(signed).replace('"gold"', '"lead"'));
    expect((await verifyReceipt(tampered, trusted)).reasons).toContain("SIGNATURE_INVALID");
  });

  it("accepts the published test vector as a receipt (an AITBC-style member set)", async () => {
    const vector = { ...JSON.parse(VECTOR.canonical), signature: { alg: "Ed25519", key_id: VECTOR.keyId, sig: VECTOR.sig } };
    expect(await verifyReceipt(vector, signingOnly())).toEqual({ valid: true, reasons: [] });
  });
});

describe("verifyReceipt: tampering", () => {
  const fields = [
    "receipt_id",
    "job_id",
    "provider",
    "client",
    "units",
    "unit_type",
    "price",
    "started_at",
    "completed_at",
    "duration_ms",
    "coordinator_id",
    "nonce",
    "payload_hash",
    "result_hash",
    "chain_id",
  ] as const;

  it.each(fields)("refuses a receipt whose %s was changed", async (field) => {
    const tampered = copy();
    const value = tampered[field];
    tampered[field] = typeof value === "number" ? value + 1 : `${String(value)}x`;
    expect(await verifyReceipt(tampered, trusted)).toEqual({
      valid: false,
      reasons: ["SIGNATURE_INVALID", "ATTESTATION_INVALID: 0"],
    });
  });

  it.each(fields)("refuses a receipt whose %s was removed", async (field) => {
    const tampered = copy();
    delete tampered[field];
    expect((await verifyReceipt(tampered, trusted)).reasons).toContain("SIGNATURE_INVALID");
  });

  it("refuses a receipt with an added member", async () => {
    expect((await verifyReceipt({ ...copy(), bonus: 1 }, trusted)).reasons).toContain("SIGNATURE_INVALID");
  });

  it("refuses a signature with one flipped byte", async () => {
    const tampered = copy() as unknown as Receipt;
    const sig = base64urlToBytes(tampered.signature.sig);
    sig[0]! ^= 0x80;
    tampered.signature.sig = bytesToBase64url(sig);
    expect(await verifyReceipt(tampered, trusted)).toEqual({ valid: false, reasons: ["SIGNATURE_INVALID"] });
  });

  it("refuses a signature whose key_id was swapped for another trusted key", async () => {
    const tampered = copy() as unknown as Receipt;
    tampered.signature.key_id = retired.keyId;
    expect(await verifyReceipt(tampered, trusted)).toEqual({ valid: false, reasons: ["SIGNATURE_INVALID"] });
  });

  it("refuses a receipt signed by an unlisted key", async () => {
    const foreign = await signReceipt(buildUnsignedReceipt(sampleInput()), unlisted, attestation);
    expect(await verifyReceipt(foreign, trusted)).toEqual({ valid: false, reasons: [`KEY_NOT_TRUSTED: ${unlisted.keyId}`] });
  });

  it("refuses an attestation key used as the signing key, and a signing key used to attest", async () => {
    const swapped = await signReceipt(buildUnsignedReceipt(sampleInput()), attestation, signing);
    expect(await verifyReceipt(swapped, trusted)).toEqual({
      valid: false,
      reasons: [`KEY_NOT_TRUSTED: ${attestation.keyId}`, "ATTESTATION_KEY_NOT_TRUSTED: 0"],
    });
  });

  it("refuses a receipt whose attestations were removed while an attestation key is active", async () => {
    const { attestations: _dropped, ...bare } = copy();
    expect(await verifyReceipt(bare, trusted)).toEqual({ valid: false, reasons: ["ATTESTATION_MISSING"] });
    expect(await verifyReceipt({ ...bare, attestations: [] }, trusted)).toEqual({ valid: false, reasons: ["ATTESTATION_MISSING"] });
  });

  it("refuses a tampered attestation", async () => {
    const tampered = copy() as unknown as Receipt;
    tampered.attestations![0]!.sig = tampered.signature.sig;
    expect(await verifyReceipt(tampered, trusted)).toEqual({ valid: false, reasons: ["ATTESTATION_INVALID: 0"] });
  });

  it("refuses an attestation by an unlisted key, even next to a good one", async () => {
    const extra = await signReceipt(buildUnsignedReceipt(sampleInput({ chainId: 12345 })), signing, unlisted);
    const tampered = copy() as unknown as Receipt;
    tampered.attestations!.push(extra.attestations![0]!);
    expect(await verifyReceipt(tampered, trusted)).toEqual({ valid: false, reasons: ["ATTESTATION_KEY_NOT_TRUSTED: 1"] });
  });

  it("refuses an algorithm other than Ed25519", async () => {
    const tampered = copy() as unknown as { signature: { alg: string }; attestations: { alg: string }[] };
    tampered.signature.alg = "ES256";
    tampered.attestations[0]!.alg = "none";
    expect(await verifyReceipt(tampered, trusted)).toEqual({
      valid: false,
      reasons: ["ALG_UNSUPPORTED: signature", "ALG_UNSUPPORTED: attestations.0"],
    });
  });
});

describe("verifyReceipt: malformed input", () => {
  const cyclic: Record<string, unknown> = {};

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a string", "receipt"],
    ["an array", []],
    ["an empty object", {}],
    ["a wrong version", { version: "2.0", signature: { alg: "Ed25519", key_id: "a", sig: "b" } }],
    ["a missing signature", { version: "1.0" }],
    ["a string signature", { version: "1.0", signature: "sig" }],
    ["a null signature", { version: "1.0", signature: null }],
    ["a numeric key_id", { version: "1.0", signature: { alg: "Ed25519", key_id: 1, sig: "b" } }],
    ["attestations that are not a list", { version: "1.0", signature: { alg: "Ed25519", key_id: "a", sig: "b" }, attestations: "x" }],
    ["units as a string", { version: "1.0", units: "1", signature: { alg: "Ed25519", key_id: "a", sig: "b" } }],
    ["a lone surrogate", { version: "1.0", memo: "\ud800", signature: { alg: "Ed25519", key_id: "a", sig: "b" } }],
    ["a cycle", Object.assign(cyclic, { version: "1.0", signature: { alg: "Ed25519", key_id: "a", sig: "b" }, self: cyclic })],
    ["a Date member", { version: "1.0", at: new Date(0), signature: { alg: "Ed25519", key_id: "a", sig: "b" } }],
  ])("answers MALFORMED for %s without throwing", async (_name, input) => {
    const result = await verifyReceipt(input, trusted);
    expect(result.valid).toBe(false);
    expect(result.reasons.length).toBeGreaterThan(0);
    expect(result.reasons.every((r) => r.startsWith("MALFORMED: "))).toBe(true);
  });

  it("checks the result of a {result, receipt} pair against the receipt's result_hash", async () => {
    const result = { out: "r" };
    const bound = await signReceipt(buildUnsignedReceipt(sampleInput({ resultHash: await contentHash(result) })), signing, attestation);
    expect(await verifyReceipt({ result, receipt: bound }, trusted)).toEqual({ valid: true, reasons: [] });
    expect(await verifyReceipt({ result: {}, receipt: bound }, trusted)).toEqual({ valid: false, reasons: ["RESULT_MISMATCH"] });
  });

  it("never throws and never accepts arbitrary values", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (value) => {
        expect((await verifyReceipt(value, trusted)).valid).toBe(false);
      }),
    );
  });

  it("never throws and never accepts a receipt with an arbitrary member replaced", async () => {
    const keys = Object.keys(receipt);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue(), async (key, value) => {
        const tampered = { ...copy(), [key]: value };
        fc.pre(JSON.stringify(tampered[key]) !== JSON.stringify(copy()[key]));
        expect((await verifyReceipt(tampered, trusted)).valid).toBe(false);
      }),
    );
  });
});
