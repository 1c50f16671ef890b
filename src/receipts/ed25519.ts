import { base64urlToBytes, bytesToBase64url } from "../lib/encoding";
import type { ReceiptKey } from "./keys";

export async function signBytes(key: ReceiptKey, bytes: Uint8Array): Promise<string> {
  const signature = await crypto.subtle.sign("Ed25519", key.privateKey, bytes);
  return bytesToBase64url(new Uint8Array(signature));
}

// Answers false, never throws, for a key id or signature that does not decode to 32 / 64 bytes.
export async function verifyBytes(keyId: string, sigB64url: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const publicKey = base64urlToBytes(keyId);
    const signature = base64urlToBytes(sigB64url);
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify("Ed25519", key, signature, bytes);
  } catch {
    return false;
  }
}
