// A receipt is valid only when its signature verifies under a key the coordinator lists for
// signing (active or retired) and every attestation verifies under a key listed for attestation;
// while an attestation key is active, a receipt without attestations is refused. The check never
// throws: any input, however malformed, gets an answer with reasons.
import { z } from "zod";
import { receiptSigningBytes } from "./build";
import { verifyBytes } from "./sign";

export interface TrustedKey {
  key_id: string;
  use: "signing" | "attestation";
  status: "active" | "retired";
}

export interface VerifyResult {
  valid: boolean;
  reasons: string[];
}

const SignatureShape = z.object({
  alg: z.string().max(64),
  key_id: z.string().max(256),
  sig: z.string().max(256),
});

// Known members are type-checked when present; only version and signature are required, so a
// receipt from an AITBC-style issuer with a different member set (the API.md vector) verifies too.
// Unknown members are allowed and covered by the signature like any other. Null equals absent.
const text = z.string().nullish();
const amount = z.number().nullish();
const ReceiptShape = z.looseObject({
  version: z.literal("1.0"),
  receipt_id: text,
  job_id: text,
  provider: text,
  client: text,
  units: amount,
  unit_type: text,
  price: amount,
  started_at: amount,
  completed_at: amount,
  duration_ms: amount,
  coordinator_id: text,
  nonce: text,
  payload_hash: text,
  result_hash: text,
  chain_id: amount,
  signature: SignatureShape,
  attestations: z.array(SignatureShape).nullish(),
});

export async function verifyReceipt(receipt: unknown, trusted: readonly TrustedKey[]): Promise<VerifyResult> {
  const parsed = ReceiptShape.safeParse(receipt);
  if (!parsed.success) {
    return result(parsed.error.issues.map((issue) => `MALFORMED: ${issue.path.join(".") || "receipt"}: ${issue.message}`));
  }
  let bytes: Uint8Array;
  try {
    // The original object, not zod's copy: the signature covers exactly what was received, and
    // zod's copy would lose a member named "__proto__".
    bytes = receiptSigningBytes(receipt as Record<string, unknown>);
  } catch (error) {
    return result([`MALFORMED: not canonical JSON: ${error instanceof Error ? error.message : "unknown"}`]);
  }

  const { signature } = parsed.data;
  const attestations = parsed.data.attestations ?? [];
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
  return result(reasons);
}

function result(reasons: string[]): VerifyResult {
  return { valid: reasons.length === 0, reasons };
}
