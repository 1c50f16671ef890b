// HMAC secrets must be usable to check signatures, so unlike API keys they cannot be stored as a
// hash. They are sealed with AES-256-GCM under SECRETS_ENCRYPTION_KEY_HEX before they reach D1.
import { base64urlToBytes, bytesToBase64url, hexToBytes } from "../lib/encoding";
import { memoized } from "../lib/memo";

const boxKeys = new Map<string, Promise<CryptoKey>>();

function boxKey(keyHex: string): Promise<CryptoKey> {
  return memoized(boxKeys, keyHex, () => crypto.subtle.importKey("raw", hexToBytes(keyHex), "AES-GCM", false, ["encrypt", "decrypt"]));
}

export async function sealSecret(keyHex: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await boxKey(keyHex), new TextEncoder().encode(secret));
  return `v1.${bytesToBase64url(iv)}.${bytesToBase64url(new Uint8Array(sealed))}`;
}

export async function openSecret(keyHex: string, sealed: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== "v1" || !iv || !data) throw new Error("sealed secret has an unknown format");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64urlToBytes(iv) }, await boxKey(keyHex), base64urlToBytes(data));
  return new TextDecoder().decode(plain);
}

/** Why a sealed HMAC secret cannot be used: the coordinator has no secrets key, or not the one that sealed it. */
export const SECRET_PROBLEMS = ["secrets_key_missing", "secrets_key_wrong"] as const;
export type SecretProblem = (typeof SECRET_PROBLEMS)[number];
export type OpenedSecret = { secret: string } | { problem: SecretProblem };

export const SECRET_PROBLEM_TEXT: Record<SecretProblem, string> = {
  secrets_key_missing: "SECRETS_ENCRYPTION_KEY_HEX is not set",
  secrets_key_wrong: "SECRETS_ENCRYPTION_KEY_HEX is not the key that sealed the HMAC secrets",
};

/** Opens a sealed secret, or says why it cannot: never throws, so a bad setting never becomes a 500. */
export async function tryOpenSecret(keyHex: string | undefined, sealed: string): Promise<OpenedSecret> {
  if (!keyHex) return { problem: "secrets_key_missing" };
  try {
    return { secret: await openSecret(keyHex, sealed) };
  } catch {
    return { problem: "secrets_key_wrong" };
  }
}
