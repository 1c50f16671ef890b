// API keys are secrets, never identities: only their SHA-256 is stored or compared, and each
// maps to a principal id. Lookups are cached per isolate for KEY_CACHE_MS, which bounds how long
// a revoked key keeps working on an isolate that saw it.
import { and, eq, isNull } from "drizzle-orm";
import type { Config } from "../config";
import { createDb } from "../db/client";
import { apiKeys } from "../db/schema";
import { sha256Hex } from "../lib/hash";
import { PRINCIPAL_PREFIX, ROLES, type Principal, type Role } from "./principal";

export const KEY_CACHE_MS = 5_000;

export const hashKey = (key: string): Promise<string> => sha256Hex(`edge-coordinator:key:${key}`);

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
  let keys = bootstrapCache.get(config);
  if (!keys) {
    keys = (async () => {
      const byHash = new Map<string, BootstrapKey>();
      for (const role of ROLES) {
        for (const key of config.bootstrapKeys[role]) {
          const hash = await hashKey(key);
          if (byHash.has(hash)) continue;
          byHash.set(hash, { hash, principal: { id: await principalIdFor(role, key), role, keyId: `env_${hash.slice(0, 12)}` } });
        }
      }
      return byHash;
    })();
    bootstrapCache.set(config, keys);
  }
  return keys;
}

const lookupCache = new Map<string, { principal: Principal | null; until: number }>();
let bootstrapStored: Promise<void> | undefined;

export async function authenticate(config: Config, d1: D1Database, key: string, now = Date.now()): Promise<Principal | null> {
  const hash = await hashKey(key);
  const bootstrap = (await bootstrapKeys(config)).get(hash);
  if (bootstrap) {
    await (bootstrapStored ??= storeBootstrapKeys(config, d1).catch(() => { bootstrapStored = undefined; }));
    return bootstrap.principal;
  }
  const cached = lookupCache.get(hash);
  if (cached && cached.until > now) return cached.principal;
  const row = await createDb(d1)
    .select({ keyId: apiKeys.keyId, principalId: apiKeys.principalId, role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .get();
  const principal = row ? { id: row.principalId, role: row.role as Role, keyId: row.keyId } : null;
  lookupCache.set(hash, { principal, until: now + KEY_CACHE_MS });
  return principal;
}

/** Bootstrap keys are recorded (hashed) in D1 once per isolate, so admins see them in the key list. */
async function storeBootstrapKeys(config: Config, d1: D1Database): Promise<void> {
  const db = createDb(d1);
  const now = Date.now();
  const rows = [...(await bootstrapKeys(config)).values()].map(({ hash, principal }) => ({
    keyId: principal.keyId,
    keyHash: hash,
    principalId: principal.id,
    role: principal.role,
    name: `bootstrap ${principal.role} key`,
    source: "env",
    createdAt: now,
  }));
  for (const row of rows) await db.insert(apiKeys).values(row).onConflictDoNothing();
}
