// The coordinator's receipt keys, imported once per isolate from the configured seeds.
// The published list (GET /v1/receipts/keys) and the verifier both read from here.
import type { Config } from "../config";
import { memoized } from "../lib/memo";
import { importSigningSeed, type ReceiptKey } from "./keys";
import type { TrustedKey } from "./verify";

export interface ReceiptKeyring {
  signing: ReceiptKey | null;
  attestation: ReceiptKey | null;
  retired: ReceiptKey[];
  retiredAttestation: ReceiptKey[];
}

export interface PublishedKey extends TrustedKey {
  alg: "Ed25519";
  public_key_hex: string;
}

const cache = new Map<string, Promise<ReceiptKeyring>>();

export function loadReceiptKeyring(config: Config): Promise<ReceiptKeyring> {
  const cacheKey = [
    config.receiptSigningKeyHex,
    config.receiptAttestationKeyHex,
    ...config.receiptRetiredKeysHex,
    "/",
    ...config.receiptRetiredAttestationKeysHex,
  ].join("|");
  return memoized(cache, cacheKey, () => importKeyring(config));
}

async function importKeyring(config: Config): Promise<ReceiptKeyring> {
  const [signing, attestation, retired, retiredAttestation] = await Promise.all([
    config.receiptSigningKeyHex ? importSigningSeed(config.receiptSigningKeyHex) : null,
    config.receiptAttestationKeyHex ? importSigningSeed(config.receiptAttestationKeyHex) : null,
    Promise.all(config.receiptRetiredKeysHex.map(importSigningSeed)),
    Promise.all(config.receiptRetiredAttestationKeysHex.map(importSigningSeed)),
  ]);
  return { signing, attestation, retired, retiredAttestation };
}

export function publishedKeys(ring: ReceiptKeyring): PublishedKey[] {
  const entry = (key: ReceiptKey, use: TrustedKey["use"], status: TrustedKey["status"]): PublishedKey => ({
    key_id: key.keyId,
    alg: "Ed25519",
    use,
    status,
    public_key_hex: key.publicKeyHex,
  });
  return [
    ...(ring.signing ? [entry(ring.signing, "signing", "active")] : []),
    ...(ring.attestation ? [entry(ring.attestation, "attestation", "active")] : []),
    ...ring.retired.map((key) => entry(key, "signing", "retired")),
    ...ring.retiredAttestation.map((key) => entry(key, "attestation", "retired")),
  ];
}
