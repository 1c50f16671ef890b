// HMAC secrets must be usable to check signatures, so unlike API keys they cannot be stored as a
// hash. They are sealed with AES-256-GCM under SECRETS_ENCRYPTION_KEY_HEX before they reach D1.
import { base64urlToBytes, bytesToBase64url, hexToBytes } from "../lib/encoding";

const boxKeys = new Map<string, Promise<CryptoKey>>();

function boxKey(keyHex: string): Promise<CryptoKey> {
  let key = boxKeys.get(keyHex);
  if (!key) {
    key = crypto.subtle.importKey("raw", hexToBytes(keyHex), "AES-GCM", false, ["encrypt", "decrypt"]);
    boxKeys.set(keyHex, key);
  }
  return key;
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
