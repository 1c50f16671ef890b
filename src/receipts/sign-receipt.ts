import type { Receipt, ReceiptSignature, UnsignedReceipt } from "../model/receipt";
import { receiptSigningBytes } from "./build";
import { signBytes } from "./ed25519";
import type { ReceiptKey } from "./keys";

export async function signReceipt(unsigned: UnsignedReceipt, signing: ReceiptKey, attestation?: ReceiptKey): Promise<Receipt> {
  const bytes = receiptSigningBytes(unsigned);
  const signature = await signatureOver(bytes, signing);
  if (attestation === undefined) return { ...unsigned, signature };
  return { ...unsigned, signature, attestations: [await signatureOver(bytes, attestation)] };
}

async function signatureOver(bytes: Uint8Array, key: ReceiptKey): Promise<ReceiptSignature> {
  return { alg: "Ed25519", key_id: key.keyId, sig: await signBytes(key, bytes) };
}
