// Keys stored exactly as POST /v1/admin/keys stores them, without spending an admin request (the
// rate-limit project has only a few) and, for HMAC keys, sealed under a chosen secrets key.
import { env } from "cloudflare:workers";
import { hashKey } from "../../src/auth/keys";
import { PRINCIPAL_PREFIX, type Role } from "../../src/auth/principal";
import { sealSecret } from "../../src/auth/secret-box";
import { createDb } from "../../src/db/client";
import { insertKey, markKeyRevoked } from "../../src/db/queries/api-keys";

export interface StoredKey {
  keyId: string;
  key: string;
  hmacSecret: string | null;
}

const randomHex = (): string => crypto.randomUUID().replaceAll("-", "");

/** `source: "env"` stores it as the row of a bootstrap key, as the coordinator records those. */
export async function storeKey(role: Role, options: { hmacSealedWith?: string; source?: "env" | "admin" } = {}): Promise<StoredKey> {
  const key = `ec_${role}_${randomHex()}`;
  const hmacSecret = options.hmacSealedWith ? randomHex() : null;
  const keyId = `key_${randomHex().slice(0, 16)}`;
  await insertKey(createDb(env.DB), {
    keyId,
    keyHash: await hashKey(key),
    principalId: `${PRINCIPAL_PREFIX[role]}_${randomHex().slice(0, 16)}`,
    role,
    name: `stored ${role} key`,
    source: options.source ?? "admin",
    hmacSecret: hmacSecret && options.hmacSealedWith ? await sealSecret(options.hmacSealedWith, hmacSecret) : null,
    createdAt: Date.now(),
    lastUsedAt: null,
    revokedAt: null,
  });
  return { keyId, key, hmacSecret };
}

/** Revokes in D1 only, as another isolate would: this isolate's key cache is left as it is. */
export async function revokeStoredKey(keyId: string): Promise<void> {
  await markKeyRevoked(createDb(env.DB), keyId, Date.now());
}
