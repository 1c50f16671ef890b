// What a verifier was sent, read by the rules of docs/receipts.md ("What the verifiers accept"):
// either a receipt (any object with a `signature` member) or exactly the {result, receipt} pair
// that GET /v1/jobs/{job_id}/result returns. Nothing nested is ever verified in place of the
// document, and no member is silently ignored. The first rule broken is the one problem reported.
import { jsonProblem, MAX_JSON_DEPTH } from "../lib/json-limits";
import type { ReceiptSignature } from "../model/receipt";

export type PresentedSignature = Omit<ReceiptSignature, "alg"> & { alg: string };

export interface ReadableReceipt {
  /** The receipt as received; the signature covers exactly these members. */
  members: Record<string, unknown>;
  signature: PresentedSignature;
  attestations: PresentedSignature[];
  /** Present for a pair: the result the receipt's result_hash must cover. */
  result?: Record<string, unknown>;
}

export type ReceiptDocument = { receipt: ReadableReceipt } | { problem: string };

// The members a receipt may carry with a known type, in the order they are checked.
const MEMBER_TYPES: readonly [name: string, type: "string" | "number"][] = [
  ["receipt_id", "string"],
  ["job_id", "string"],
  ["provider", "string"],
  ["client", "string"],
  ["units", "number"],
  ["unit_type", "string"],
  ["price", "number"],
  ["started_at", "number"],
  ["completed_at", "number"],
  ["duration_ms", "number"],
  ["coordinator_id", "string"],
  ["nonce", "string"],
  ["payload_hash", "string"],
  ["result_hash", "string"],
  ["chain_id", "number"],
];
const SIGNATURE_MEMBERS = ["alg", "key_id", "sig"];
const PAIR_MEMBERS = ["receipt", "result"];
const NOT_A_SIGNATURE = "expected exactly {alg, key_id, sig}, all strings";
const OUTSIDE_JSON_LIMITS = `outside the JSON limits (at most ${MAX_JSON_DEPTH} levels, finite numbers, well-formed Unicode)`;

export function readReceiptDocument(document: unknown): ReceiptDocument {
  if (!isRecord(document)) return { problem: "document: expected an object" };
  if (Object.hasOwn(document, "signature")) return readReceipt(document);
  if (!sameMembers(document, PAIR_MEMBERS)) return { problem: "document: expected a receipt or exactly {result, receipt}" };
  const { receipt, result } = document;
  if (!isRecord(receipt)) return { problem: "receipt: expected an object" };
  if (!isRecord(result)) return { problem: "result: expected an object" };
  const read = readReceipt(receipt);
  if ("problem" in read) return read;
  if (jsonProblem(result) !== undefined) return { problem: `result: ${OUTSIDE_JSON_LIMITS}` };
  return { receipt: { ...read.receipt, result } };
}

function readReceipt(receipt: Record<string, unknown>): ReceiptDocument {
  if (jsonProblem(receipt) !== undefined) return { problem: `receipt: ${OUTSIDE_JSON_LIMITS}` };
  if (receipt.version !== "1.0") return { problem: 'version: expected "1.0"' };
  for (const [name, type] of MEMBER_TYPES) {
    const value = receipt[name];
    if (value !== null && value !== undefined && typeof value !== type) return { problem: `${name}: expected a ${type}` };
  }
  const { signature, attestations } = receipt;
  if (!isSignature(signature)) return { problem: `signature: ${NOT_A_SIGNATURE}` };
  if (attestations === null || attestations === undefined) return { receipt: { members: receipt, signature, attestations: [] } };
  if (!Array.isArray(attestations)) return { problem: "attestations: expected an array" };
  const bad = attestations.findIndex((attestation) => !isSignature(attestation));
  if (bad >= 0) return { problem: `attestations.${bad}: ${NOT_A_SIGNATURE}` };
  return { receipt: { members: receipt, signature, attestations: attestations as PresentedSignature[] } };
}

function isSignature(value: unknown): value is PresentedSignature {
  return isRecord(value) && sameMembers(value, SIGNATURE_MEMBERS) && SIGNATURE_MEMBERS.every((name) => typeof value[name] === "string");
}

function sameMembers(value: Record<string, unknown>, names: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === names.length && names.every((name) => Object.hasOwn(value, name));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
