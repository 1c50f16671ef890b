// Verifies a document by the rules of docs/receipts.md: a receipt, or exactly the {result, receipt}
// pair that GET /v1/jobs/{job_id}/result returns (receipt-document.ts reads which). A receipt is
// valid only when its signature verifies under a key the coordinator lists for signing (active or
// retired) and every attestation verifies under a key listed for attestation; while an
// attestation key is active, a receipt without attestations is refused. A pair is valid only when
// its receipt is and the result is the one the receipt's result_hash covers. The check never
// throws: any input, however malformed, gets an answer with reasons.
import { receiptSigningBytes } from "./build";
import { contentHash } from "./canonical-json";
import { verifyBytes } from "./ed25519";
import { readReceiptDocument } from "./receipt-document";

export interface TrustedKey {
  key_id: string;
  use: "signing" | "attestation";
  status: "active" | "retired";
}

export interface VerifyResult {
  valid: boolean;
  reasons: string[];
}

export async function verifyReceipt(document: unknown, trusted: readonly TrustedKey[]): Promise<VerifyResult> {
  const read = readReceiptDocument(document);
  if ("problem" in read) return result([`MALFORMED: ${read.problem}`]);
  const { members, signature, attestations, result: pairedResult } = read.receipt;
  let bytes: Uint8Array;
  let resultHash: string | undefined;
  try {
    // The original object, not a copy: the signature covers exactly what was received.
    bytes = receiptSigningBytes(members);
    resultHash = pairedResult === undefined ? undefined : await contentHash(pairedResult);
  } catch {
    // Only a caller passing values JSON cannot hold (a Date, a cycle) gets here, never a parsed body.
    return result(["MALFORMED: document: not JSON"]);
  }

  const reasons: string[] = [];
  const listed = (key_id: string, use: TrustedKey["use"]) => trusted.some((k) => k.key_id === key_id && k.use === use);

  if (signature.alg !== "Ed25519") reasons.push("ALG_UNSUPPORTED: signature");
  else if (!(await verifyBytes(signature.key_id, signature.sig, bytes))) reasons.push("SIGNATURE_INVALID");
  if (!listed(signature.key_id, "signing")) reasons.push(`KEY_NOT_TRUSTED: ${signature.key_id}`);

  for (const [index, attestation] of attestations.entries()) {
    if (attestation.alg !== "Ed25519") reasons.push(`ALG_UNSUPPORTED: attestations.${index}`);
    else if (!(await verifyBytes(attestation.key_id, attestation.sig, bytes))) reasons.push(`ATTESTATION_INVALID: ${index}`);
    if (!listed(attestation.key_id, "attestation")) reasons.push(`ATTESTATION_KEY_NOT_TRUSTED: ${index}`);
  }
  if (attestations.length === 0 && trusted.some((k) => k.use === "attestation" && k.status === "active")) {
    reasons.push("ATTESTATION_MISSING");
  }
  if (resultHash !== undefined && resultHash !== members.result_hash) reasons.push("RESULT_MISMATCH");
  return result(reasons);
}

function result(reasons: string[]): VerifyResult {
  return { valid: reasons.length === 0, reasons };
}
