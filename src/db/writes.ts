// The D1 writes a region's state changes imply, as the region's outbox carries them: the outbox rows
// are written in the same storage transaction as the change and deleted only after D1 accepted
// them, so a failed or interrupted flush is retried in order. Each statement is idempotent (keyed
// by id, guarded by version), so a retry never duplicates a row or moves one backwards.
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { createDb, type Db } from "./client";
import * as t from "./schema";

export type OutboxWrite =
  | { kind: "job"; row: Omit<t.JobRow, "payload">; payload?: Record<string, unknown> }
  | { kind: "event"; row: t.JobEventRow }
  | { kind: "miner"; row: t.MinerRow }
  | { kind: "miner_session"; row: t.MinerSessionRow }
  | { kind: "worker_session"; row: t.WorkerSessionRow }
  | { kind: "receipt"; row: t.ReceiptRow }
  | { kind: "settlement"; row: t.SettlementRow };

function toStatement(db: Db, write: OutboxWrite): BatchItem<"sqlite"> {
  switch (write.kind) {
    case "job": {
      const { jobId, clientId, requestedAt, ...mutable } = write.row;
      return db
        .insert(t.jobs)
        .values({ ...write.row, payload: write.payload ?? {} })
        .onConflictDoUpdate({ target: t.jobs.jobId, set: mutable, setWhere: sql`${t.jobs.version} < ${write.row.version}` });
    }
    case "event":
      return db.insert(t.jobEvents).values(write.row).onConflictDoNothing();
    case "miner": {
      const { minerId, ...mutable } = write.row;
      return db
        .insert(t.miners)
        .values(write.row)
        .onConflictDoUpdate({ target: t.miners.minerId, set: mutable, setWhere: sql`${t.miners.version} < ${write.row.version}` });
    }
    case "miner_session":
      return db.insert(t.minerSessions).values(write.row).onConflictDoNothing();
    case "worker_session":
      return db
        .insert(t.workerSessions)
        .values(write.row)
        .onConflictDoUpdate({
          target: t.workerSessions.leaseId,
          set: { endedAt: write.row.endedAt, exitReason: write.row.exitReason },
          setWhere: sql`${t.workerSessions.endedAt} IS NULL`,
        });
    case "receipt":
      return db.insert(t.receipts).values(write.row).onConflictDoNothing();
    case "settlement":
      return db.insert(t.settlements).values(write.row).onConflictDoNothing();
  }
}

export async function writeToD1(d1: D1Database, writes: readonly OutboxWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const db = createDb(d1);
  const [first, ...rest] = writes.map((w) => toStatement(db, w));
  await db.batch([first!, ...rest]);
}
