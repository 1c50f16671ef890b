import { describe, expect, it } from "vitest";
import { buildUnsignedReceipt, type ReceiptInput, receiptSigningBytes } from "../../../src/receipts/build";
import { importSigningSeed } from "../../../src/receipts/keys";
import { signReceipt } from "../../../src/receipts/sign-receipt";
import { SEEDS, sampleInput, VECTOR } from "./fixtures";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("buildUnsignedReceipt", () => {
  it("converts times to whole Unix seconds and fills the defaults from the duration", () => {
    expect(buildUnsignedReceipt(sampleInput())).toEqual({
      version: "1.0",
      receipt_id: "0123456789abcdef0123456789abcdef",
      job_id: "fedcba9876543210fedcba9876543210",
      provider: "miner-eu-1",
      client: "cli_8f3a01",
      units: 1.9,
      unit_type: "gpu_seconds",
      price: 0,
      started_at: 1_695_720_000,
      completed_at: 1_695_720_002,
      duration_ms: 1900,
      coordinator_id: "coord-eu-west-1",
      nonce: "b7f3d10b",
      payload_hash: `sha256:${"a".repeat(64)}`,
      result_hash: `sha256:${"b".repeat(64)}`,
    });
  });

  it("takes the billed figures and the chain id when given; duration_ms is always completed − started", () => {
    const receipt = buildUnsignedReceipt(sampleInput({ units: 3, unitType: "tokens", price: 4.2, chainId: 12345 }));
    expect(receipt).toMatchObject({ units: 3, unit_type: "tokens", price: 4.2, duration_ms: 1900, chain_id: 12345 });
  });

  it("leaves chain_id out entirely when not configured", () => {
    expect(Object.keys(buildUnsignedReceipt(sampleInput()))).not.toContain("chain_id");
  });

  it("accepts a job that started and completed in the same millisecond", () => {
    const receipt = buildUnsignedReceipt(sampleInput({ startedAtMs: 5000, completedAtMs: 5000 }));
    expect(receipt).toMatchObject({ units: 0, duration_ms: 0, started_at: 5, completed_at: 5 });
  });

  const numeric: (keyof ReceiptInput)[] = ["units", "price", "startedAtMs", "completedAtMs", "chainId"];
  it.each(numeric.flatMap((field) => [-1, NaN, Infinity, -Infinity].map((value) => [field, value] as const)))(
    "refuses %s = %s",
    (field, value) => {
      expect(() => buildUnsignedReceipt(sampleInput({ [field]: value }))).toThrow(RangeError);
    },
  );

  it("rounds times down to the second", () => {
    const receipt = buildUnsignedReceipt(sampleInput({ startedAtMs: 1999, completedAtMs: 3999 }));
    expect(receipt).toMatchObject({ started_at: 1, completed_at: 3, duration_ms: 2000, units: 2 });
  });

  it("refuses a completion before the start", () => {
    expect(() => buildUnsignedReceipt(sampleInput({ startedAtMs: 2000, completedAtMs: 1999 }))).toThrow(RangeError);
  });
});

describe("receiptSigningBytes", () => {
  it("is the canonical JSON of the published test vector's members", () => {
    expect(decode(receiptSigningBytes(JSON.parse(VECTOR.canonical)))).toBe(VECTOR.canonical);
  });

  it("leaves out signature and attestations, so signed and unsigned receipts give the same bytes", async () => {
    const unsigned = buildUnsignedReceipt(sampleInput({ chainId: 7 }));
    const signed = await signReceipt(unsigned, await importSigningSeed(VECTOR.seedHex), await importSigningSeed(SEEDS.attestation));
    expect(signed.attestations).toHaveLength(1);
    const text = decode(receiptSigningBytes(signed));
    expect(receiptSigningBytes(signed)).toEqual(receiptSigningBytes(unsigned));
    expect(text).not.toMatch(/signature|attestations/);
    expect(text.startsWith('{"chain_id":7,"client":"cli_8f3a01","completed_at":1695720002,')).toBe(true);
  });
});
