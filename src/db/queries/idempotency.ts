import { and, eq } from "drizzle-orm";
import type { Db } from "../client";
import { type IdempotencyRow, idempotencyRecords } from "../schema";

/**
 * Claims (principal, key) for a new job, or returns the record that already holds it. The
 * insert-or-nothing makes two racing submits with one key agree on a single job id.
 */
export async function claimIdempotencyKey(db: Db, claim: IdempotencyRow): Promise<{ record: IdempotencyRow; claimed: boolean }> {
  const inserted = await db.insert(idempotencyRecords).values(claim).onConflictDoNothing().returning();
  if (inserted[0]) return { record: inserted[0], claimed: true };
  const existing = await db
    .select()
    .from(idempotencyRecords)
    .where(and(eq(idempotencyRecords.principalId, claim.principalId), eq(idempotencyRecords.idempotencyKey, claim.idempotencyKey)))
    .get();
  if (!existing) throw new Error("idempotency record vanished between insert and read");
  return { record: existing, claimed: false };
}
