// Receipt verification on the caller's side, against the keys the coordinator publishes
// (GET /v1/receipts/keys). The rules are the coordinator's own (src/receipts/verify.ts: which
// documents are receipts, canonical bytes, Ed25519, trusted keys, attestations, result hash), so
// the SDK gives exactly the verdict and reasons POST /v1/receipts/verify would, without asking it.
import { base64urlToBytes, bytesToHex } from "../src/lib/encoding";
import { type TrustedKey, type VerifyResult, verifyReceipt } from "../src/receipts/verify";
import type { PublishedKeys } from "./types";

export type { TrustedKey, VerifyResult };

/** The published keys a verifier may trust; each key_id must be the base64url of its public_key_hex. */
export function trustedKeysOf(published: PublishedKeys): TrustedKey[] {
  return published.keys.map(({ key_id, use, status, public_key_hex }) => {
    let matches = false;
    try {
      matches = bytesToHex(base64urlToBytes(key_id)) === public_key_hex.toLowerCase();
    } catch {
      // not base64url: matches stays false
    }
    if (!matches) throw new Error(`published key ${key_id}: key_id is not the base64url of public_key_hex`);
    return { key_id, use, status };
  });
}

/** Verifies a receipt, or exactly the {result, receipt} body of GET /v1/jobs/{job_id}/result; throws only for an inconsistent key list. */
export function verifyReceiptDocument(document: unknown, published: PublishedKeys): Promise<VerifyResult> {
  return verifyReceipt(document, trustedKeysOf(published));
}
