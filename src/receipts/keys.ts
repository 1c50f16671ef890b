import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes } from "../lib/encoding";

export interface ReceiptKey {
  /** base64url (no padding) of the 32-byte Ed25519 public key */
  keyId: string;
  publicKeyHex: string;
  privateKey: CryptoKey;
}

// PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410) up to the 32-byte seed.
const PKCS8_ED25519_PREFIX = hexToBytes("302e020100300506032b657004220420");
const SEED_HEX = /^[0-9a-fA-F]{64}$/;

export async function importSigningSeed(seedHex: string): Promise<ReceiptKey> {
  // The message names the rule, never the value: the seed is a secret.
  if (!SEED_HEX.test(seedHex)) throw new Error("an Ed25519 receipt seed must be 64 hex characters (32 bytes)");
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(hexToBytes(seedHex), PKCS8_ED25519_PREFIX.length);
  // Web Crypto derives the public key only through an export, so one extractable import yields it
  // and the key we keep is a second, non-extractable import.
  const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey;
  if (typeof jwk.x !== "string") throw new Error("Web Crypto returned an Ed25519 JWK without a public key");
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  return { keyId: jwk.x, publicKeyHex: bytesToHex(base64urlToBytes(jwk.x)), privateKey };
}

export function keyIdFromPublicKeyHex(publicKeyHex: string): string {
  const bytes = hexToBytes(publicKeyHex);
  if (bytes.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  return bytesToBase64url(bytes);
}
