// API keys are secrets, never identities: only their SHA-256 is stored or looked up (so a lookup's
// timing depends on the hash, never on how much of a guessed key was right), and each maps to a
// principal id. D1 lookups are cached per isolate for KEY_CACHE_MS, which bounds how long a revoked
// key keeps working on an isolate that saw it; the isolate that revokes forgets it at once. Whether a
// lookup may reach D1, and what a failed one costs the caller, is up to the caller's LookupGuard.
import type { Config } from "../config";
import { createDb } from "../db/client";
import { findActiveKey, insertKey, markKeyUsed } from "../db/queries/api-keys";
import { ExpiringMap } from "../lib/expiring-map";
import { sha256Hex } from "../lib/hash";
import { memoized } from "../lib/memo";
import { PRINCIPAL_PREFIX, type Principal, ROLES, type Role } from "./principal";
import { type OpenedSecret, tryOpenSecret } from "./secret-box";

export const KEY_CACHE_MS = 5_000;
/** How long an isolate remembers that a key hash was valid, for the lookup guard (far longer than the cache). */
export const KNOWN_VALID_MS = 3_600_000;
const LOOKUP_MEMORY_CAPACITY = 10_000;
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashKey = (key: string): Promise<string> => sha256Hex(`edge-coordinator:key:${key}`);

export interface Authenticated {
  principal: Principal;
  /** The key's own HMAC secret, or why it cannot be opened; null when the key has none. */
  hmac: OpenedSecret | null;
  /** Records the key's last use; call it only once the request is fully authenticated. */
  recordUse?: () => Promise<void>;
}

async function principalIdFor(role: Role, key: string): Promise<string> {
  return `${PRINCIPAL_PREFIX[role]}_${(await sha256Hex(`edge-coordinator:principal:${key}`)).slice(0, 16)}`;
}

interface BootstrapKey {
  hash: string;
  principal: Principal;
}

const bootstrapCache = new Map<Config, Promise<Map<string, BootstrapKey>>>();

/** Keys from CLIENT_/MINER_/ADMIN_API_KEYS, hashed once per isolate. A key listed twice keeps its first role. */
export function bootstrapKeys(config: Config): Promise<Map<string, BootstrapKey>> {
  return memoized(bootstrapCache, config, async () => {
    const byHash = new Map<string, BootstrapKey>();
    for (const role of ROLES) {
      for (const key of config.bootstrapKeys[role]) {
        const hash = await hashKey(key);
        if (byHash.has(hash)) continue;
        byHash.set(hash, { hash, principal: { id: await principalIdFor(role, key), role, keyId: `env_${hash.slice(0, 12)}` } });
      }
    }
    return byHash;
  });
}

/**
 * Decides whether a D1 lookup may happen and what a failed one costs; both may throw to refuse.
 * `knownValid` says this isolate found the key valid within KNOWN_VALID_MS.
 */
export interface LookupGuard {
  beforeLookup(knownValid: boolean): Promise<void>;
  afterFailedLookup(): Promise<void>;
}

const lookupCache = new ExpiringMap<string, Omit<Authenticated, "recordUse"> | null>(LOOKUP_MEMORY_CAPACITY);
const knownValid = new ExpiringMap<string, true>(LOOKUP_MEMORY_CAPACITY);
const lastUsedWritten = new Map<string, number>();
let bootstrapStored: Promise<void> | undefined;

export async function authenticate(
  config: Config,
  d1: D1Database,
  key: string,
  guard: LookupGuard,
  now = Date.now(),
): Promise<Authenticated | null> {
  const hash = await hashKey(key);
  const bootstrap = (await bootstrapKeys(config)).get(hash);
  if (bootstrap) {
    bootstrapStored ??= storeBootstrapKeys(config, d1).catch(() => {
      bootstrapStored = undefined;
    });
    await bootstrapStored;
    return { principal: bootstrap.principal, hmac: null };
  }
  let found = lookupCache.get(hash, now);
  if (found === undefined) {
    await guard.beforeLookup(knownValid.get(hash, now) === true);
    const row = await findActiveKey(createDb(d1), hash);
    found = row
      ? {
          principal: { id: row.principalId, role: row.role as Role, keyId: row.keyId },
          hmac: row.hmacSecret === null ? null : await tryOpenSecret(config.secretsEncryptionKeyHex, row.hmacSecret),
        }
      : null;
    lookupCache.set(hash, found, now + KEY_CACHE_MS);
    if (found) {
      knownValid.set(hash, true, now + KNOWN_VALID_MS);
    } else {
      knownValid.delete(hash);
      await guard.afterFailedLookup();
    }
  }
  if (!found) return null;
  const lastWritten = lastUsedWritten.get(found.principal.keyId) ?? 0;
  if (now - lastWritten < LAST_USED_RESOLUTION_MS) return found;
  const keyId = found.principal.keyId;
  return {
    ...found,
    recordUse: () => {
      lastUsedWritten.set(keyId, now);
      return markKeyUsed(createDb(d1), keyId, now).catch(() => {});
    },
  };
}

export function forgetCachedKey(keyHash: string): void {
  lookupCache.delete(keyHash);
  knownValid.delete(keyHash);
}

/** Bootstrap keys are recorded (hashed) in D1 once per isolate, so admins see them in the key list. */
async function storeBootstrapKeys(config: Config, d1: D1Database): Promise<void> {
  const db = createDb(d1);
  const now = Date.now();
  for (const { hash, principal } of (await bootstrapKeys(config)).values()) {
    await insertKey(db, {
      keyId: principal.keyId,
      keyHash: hash,
      principalId: principal.id,
      role: principal.role,
      name: `bootstrap ${principal.role} key`,
      source: "env",
      hmacSecret: null,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    });
  }
}
