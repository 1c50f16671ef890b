import { describe, expect, it } from "vitest";
import { readReceiptDocument } from "../../../src/receipts/receipt-document";

const signature = { alg: "Ed25519", key_id: "k", sig: "s" };
const receipt = { version: "1.0", price: 1, signature };

describe("readReceiptDocument", () => {
  it("reads an object with a signature member as the receipt itself, never a member of it", () => {
    const forged = { ...receipt, receipt: { ...receipt, price: 2 } };
    const read = readReceiptDocument(forged);
    expect(read).toEqual({ receipt: { members: forged, signature, attestations: [] } });
    expect("receipt" in read && read.receipt.members).toBe(forged);
  });

  it("reads exactly {result, receipt} as a pair whose result must be covered", () => {
    const result = { out: "r" };
    expect(readReceiptDocument({ result, receipt })).toEqual({ receipt: { members: receipt, signature, attestations: [], result } });
  });

  it.each([
    ["a pair with a third member", { result: {}, receipt, note: null }, "document: expected a receipt or exactly {result, receipt}"],
    ["a wrapper holding only the receipt", { receipt }, "document: expected a receipt or exactly {result, receipt}"],
    ["a receipt without signature", { version: "1.0" }, "document: expected a receipt or exactly {result, receipt}"],
    ["an array", [receipt], "document: expected an object"],
    ["a pair with a null receipt", { result: {}, receipt: null }, "receipt: expected an object"],
    ["a pair with an array result", { result: [], receipt }, "result: expected an object"],
    [
      "a signature with a fourth member",
      { ...receipt, signature: { ...signature, note: "x" } },
      "signature: expected exactly {alg, key_id, sig}, all strings",
    ],
    ["a null attestation", { ...receipt, attestations: [null] }, "attestations.0: expected exactly {alg, key_id, sig}, all strings"],
    ["a price that is a string", { ...receipt, price: "1" }, "price: expected a number"],
    [
      "a receipt 33 levels deep",
      { ...receipt, deep: JSON.parse(`${'{"a":'.repeat(32)}1${"}".repeat(32)}`) },
      "receipt: outside the JSON limits (at most 32 levels, finite numbers, well-formed Unicode)",
    ],
    [
      "a result with a lone surrogate",
      { result: { s: "\ud800" }, receipt },
      "result: outside the JSON limits (at most 32 levels, finite numbers, well-formed Unicode)",
    ],
  ])("names the first broken rule of %s", (_name, document, problem) => {
    expect(readReceiptDocument(document)).toEqual({ problem });
  });

  it("checks the receipt of a pair before its result", () => {
    expect(readReceiptDocument({ result: { s: "\ud800" }, receipt: { ...receipt, version: "2" } })).toEqual({
      problem: 'version: expected "1.0"',
    });
  });
});
