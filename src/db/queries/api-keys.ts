import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or } from "drizzle-orm";
import { decodeCursor, pageOf } from "../../lib/cursor";
import type { Db } from "../client";
import { type ApiKeyRow, apiKeys } from "../schema";

/**
 * An admin-created key that is not revoked. Bootstrap keys (source "env") are never found here: they
 * are valid only while they are in the environment, which authenticate() checks first; their rows
 * stay behind when they are removed from it.
 */
export async function findActiveKey(db: Db, keyHash: string) {
  return db
    .select({ keyId: apiKeys.keyId, principalId: apiKeys.principalId, role: apiKeys.role, hmacSecret: apiKeys.hmacSecret })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), eq(apiKeys.source, "admin"), isNull(apiKeys.revokedAt)))
    .get();
}

export async function insertKey(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insert(apiKeys).values(row).onConflictDoNothing();
}

/** Admin-created keys, and the bootstrap keys whose hashes are given (those still in the environment). */
export async function selectKeys(db: Db, bootstrapHashes: string[], limit: number, cursor?: string) {
  const after = cursor ? decodeCursor<[string]>(cursor, ["string"])[0] : undefined;
  const rows = await db
    .select()
    .from(apiKeys)
    .where(
      and(
        or(eq(apiKeys.source, "admin"), inArray(apiKeys.keyHash, bootstrapHashes)),
        after === undefined ? undefined : gt(apiKeys.keyId, after),
      ),
    )
    .orderBy(asc(apiKeys.keyId))
    .limit(limit + 1);
  return pageOf(rows, limit, (last) => [last.keyId]);
}

export async function selectKey(db: Db, keyId: string) {
  return db.select().from(apiKeys).where(eq(apiKeys.keyId, keyId)).get();
}

/** Revokes once; a second revoke keeps the first time. */
export async function markKeyRevoked(db: Db, keyId: string, at: number) {
  await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.keyId, keyId), isNull(apiKeys.revokedAt)));
  return selectKey(db, keyId);
}

export async function markKeyUsed(db: Db, keyId: string, at: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.keyId, keyId));
}

/** The sealed HMAC secrets of the oldest and the newest active key that has one (none, one or two). */
export async function sealedSecretSamples(db: Db): Promise<string[]> {
  const sample = (order: typeof asc) =>
    db
      .select({ sealed: apiKeys.hmacSecret })
      .from(apiKeys)
      .where(and(isNotNull(apiKeys.hmacSecret), isNull(apiKeys.revokedAt)))
      .orderBy(order(apiKeys.createdAt))
      .limit(1)
      .get();
  const rows = await Promise.all([sample(asc), sample(desc)]);
  return [...new Set(rows.flatMap((row) => (row?.sealed ? [row.sealed] : [])))];
}
