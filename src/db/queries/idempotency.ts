import { and, eq } from "drizzle-orm";
import type { Db } from "../client";
import { type IdempotencyRow, idempotencyRecords } from "../schema";

export interface IdempotencyClaim {
  record: IdempotencyRow;
  claimed: boolean;
}

/**
 * Claims each (principal, key) for a new job, or returns the record that already holds it, in
 * order: one D1 batch of inserts, and one of reads for the keys already held. The insert-or-nothing
 * makes racing submits with one key (or one key twice in a batch) agree on a single job id.
 */
export async function claimIdempotencyKeys(db: Db, claims: readonly IdempotencyRow[]): Promise<IdempotencyClaim[]> {
  const [first, ...rest] = claims.map((claim) => db.insert(idempotencyRecords).values(claim).onConflictDoNothing().returning());
  if (!first) return [];
  const inserted = await db.batch([first, ...rest]);
  const held = claims.filter((_, i) => !inserted[i]![0]);
  const [firstRead, ...moreReads] = held.map((claim) =>
    db
      .select()
      .from(idempotencyRecords)
      .where(and(eq(idempotencyRecords.principalId, claim.principalId), eq(idempotencyRecords.idempotencyKey, claim.idempotencyKey))),
  );
  const existing = firstRead ? await db.batch([firstRead, ...moreReads]) : [];
  let nextHeld = 0;
  return claims.map((_, i) => {
    const mine = inserted[i]![0];
    if (mine) return { record: mine, claimed: true };
    const record = existing[nextHeld++]![0];
    if (!record) throw new Error("idempotency record vanished between insert and read");
    return { record, claimed: false };
  });
}
