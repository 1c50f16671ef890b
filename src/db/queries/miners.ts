import { and, asc, eq, gt, type SQL, sql } from "drizzle-orm";
import { countsByKey } from "../../lib/counts";
import { decodeCursor, pageOf } from "../../lib/cursor";
import { MINER_STATUSES } from "../../model/miner";
import type { Db } from "../client";
import { miners } from "../schema";

/** Where a miner is registered, and by which key. */
export async function minerPlacement(db: Db, minerId: string) {
  return db.select({ ownerId: miners.ownerId, region: miners.region }).from(miners).where(eq(miners.minerId, minerId)).get();
}

export async function minerIdsOfOwner(db: Db, ownerId: string, limit: number): Promise<string[]> {
  const rows = await db.select({ minerId: miners.minerId }).from(miners).where(eq(miners.ownerId, ownerId)).limit(limit);
  return rows.map((r) => r.minerId);
}

export async function selectMiners(db: Db, filters: { status?: string; region?: string }, limit: number, cursor?: string) {
  const conditions: (SQL | undefined)[] = [
    filters.status ? eq(miners.status, filters.status) : undefined,
    filters.region ? eq(miners.region, filters.region) : undefined,
    cursor ? gt(miners.minerId, decodeCursor<[string]>(cursor, ["string"])[0]) : undefined,
  ];
  const rows = await db
    .select()
    .from(miners)
    .where(and(...conditions))
    .orderBy(asc(miners.minerId))
    .limit(limit + 1);
  return pageOf(rows, limit, (last) => [last.minerId]);
}

export async function minerStats(db: Db) {
  const [byStatus, onlineByRegion] = await db.batch([
    db.select({ key: miners.status, n: sql<number>`count(*)` }).from(miners).groupBy(miners.status),
    db.select({ region: miners.region, n: sql<number>`count(*)` }).from(miners).where(eq(miners.status, "ONLINE")).groupBy(miners.region),
  ]);
  return {
    byStatus: countsByKey(MINER_STATUSES, byStatus),
    onlineByRegion: Object.fromEntries(onlineByRegion.map((r) => [r.region, Number(r.n)])),
  };
}
