import { and, asc, desc, eq, gt } from "drizzle-orm";
import { decodeCursor, pageOf } from "../../lib/cursor";
import type { Receipt } from "../../model/receipt";
import type { Db } from "../client";
import { receipts } from "../schema";

export async function latestReceipt(db: Db, jobId: string) {
  const row = await db.select().from(receipts).where(eq(receipts.jobId, jobId)).orderBy(desc(receipts.seq)).limit(1).get();
  return row?.body ?? null;
}

/** Oldest first: the first issue, then each re-issue. */
export async function listReceipts(db: Db, jobId: string, limit: number, cursor?: string) {
  const after = cursor ? decodeCursor<[number]>(cursor, ["number"])[0] : 0;
  const rows = await db
    .select()
    .from(receipts)
    .where(and(eq(receipts.jobId, jobId), gt(receipts.seq, after)))
    .orderBy(asc(receipts.seq))
    .limit(limit + 1);
  const page = pageOf(rows, limit, (last) => [last.seq]);
  return { items: page.items.map((r) => r.body), nextCursor: page.nextCursor };
}

/** Appends a receipt after its job's latest; the unique (job_id, seq) index refuses a racing twin. */
export async function appendReceipt(db: Db, receipt: Receipt, issuedAt: number) {
  const jobId = receipt.job_id;
  const last = await db
    .select({ seq: receipts.seq })
    .from(receipts)
    .where(eq(receipts.jobId, jobId))
    .orderBy(desc(receipts.seq))
    .limit(1)
    .get();
  const seq = (last?.seq ?? 0) + 1;
  await db.insert(receipts).values({ receiptId: receipt.receipt_id, jobId, seq, keyId: receipt.signature.key_id, issuedAt, body: receipt });
  return seq;
}
