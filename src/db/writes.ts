// The D1 writes a region's state changes imply, as the region's outbox carries them: the outbox rows
// are written in the same storage transaction as the change and deleted only after D1 accepted
// them, so a failed or interrupted flush is retried in order. Each statement is idempotent (keyed
// by id, guarded by version), so a retry never duplicates a row or moves one backwards.
//
// The statements are plain SQL, built once per table from the drizzle schema: every flush of every
// region runs them, and building them through drizzle's query builder cost more than D1's own call.
import { type Column, getTableColumns } from "drizzle-orm";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import * as t from "./schema";

export type OutboxWrite =
  | { kind: "job"; row: Omit<t.JobRow, "payload">; payload?: Record<string, unknown> }
  | { kind: "event"; row: t.JobEventRow }
  | { kind: "miner"; row: t.MinerRow }
  | { kind: "miner_session"; row: t.MinerSessionRow }
  | { kind: "worker_session"; row: t.WorkerSessionRow }
  | { kind: "receipt"; row: t.ReceiptRow }
  | { kind: "settlement"; row: t.SettlementRow };

interface Upsert {
  sql: string;
  /** Row property → column, in the statement's parameter order. */
  columns: [string, Column][];
}

interface Update {
  key: Column;
  /** Row properties whose columns take the new row's values. */
  columns: string[];
  /** When they do; may name the table's columns and `excluded.*`. */
  where: string;
}

/** `INSERT … ON CONFLICT DO NOTHING` (any key), or with `update`, an upsert on that key. */
function upsert(table: SQLiteTable, update?: Update): Upsert {
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const insert = `INSERT INTO ${getTableConfig(table).name} (${columns.map(([, c]) => c.name).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
  if (!update) return { sql: `${insert} ON CONFLICT DO NOTHING`, columns };
  const set = columns.filter(([key]) => update.columns.includes(key)).map(([, c]) => `${c.name} = excluded.${c.name}`);
  return { sql: `${insert} ON CONFLICT (${update.key.name}) DO UPDATE SET ${set.join(", ")} WHERE ${update.where}`, columns };
}

const allBut = (table: SQLiteTable, ...fixed: string[]) => Object.keys(getTableColumns(table)).filter((key) => !fixed.includes(key));

const UPSERTS: Record<OutboxWrite["kind"], Upsert> = {
  // Who submitted a job, when, and what it asked for never change; everything else follows the newest version.
  job: upsert(t.jobs, {
    key: t.jobs.jobId,
    columns: allBut(t.jobs, "jobId", "clientId", "requestedAt", "payload"),
    where: "jobs.version < excluded.version",
  }),
  event: upsert(t.jobEvents),
  miner: upsert(t.miners, { key: t.miners.minerId, columns: allBut(t.miners, "minerId"), where: "miners.version < excluded.version" }),
  miner_session: upsert(t.minerSessions),
  // A lease's session is written when it starts and once more when it ends; an ended one stays ended.
  worker_session: upsert(t.workerSessions, {
    key: t.workerSessions.leaseId,
    columns: ["endedAt", "exitReason"],
    where: "worker_sessions.ended_at IS NULL",
  }),
  receipt: upsert(t.receipts),
  settlement: upsert(t.settlements),
};

function toStatement(d1: D1Database, write: OutboxWrite): D1PreparedStatement {
  const { sql, columns } = UPSERTS[write.kind];
  const row: Record<string, unknown> = write.kind === "job" ? { ...write.row, payload: write.payload ?? {} } : write.row;
  // Outbox rows went through JSON, so a column with no value may be missing rather than null.
  return d1.prepare(sql).bind(...columns.map(([key, column]) => (row[key] == null ? null : column.mapToDriverValue(row[key]))));
}

type JobWrite = Extract<OutboxWrite, { kind: "job" }>;

/**
 * One row per job: a job written more than once in one batch (a submit and the lease of the parked
 * poll it woke share a flush) needs only its newest version, which the version guard would keep
 * anyway. It goes where the job's first row was, ahead of the rows that follow that one, with the
 * payload that only a job's first row carries.
 */
export function collapseJobRows(writes: readonly OutboxWrite[]): OutboxWrite[] {
  const merged = new Map<string, JobWrite>();
  for (const write of writes) {
    if (write.kind !== "job") continue;
    const earlier = merged.get(write.row.jobId);
    const newest = earlier && earlier.row.version > write.row.version ? earlier : write;
    const payload = earlier?.payload ?? write.payload;
    merged.set(write.row.jobId, payload === undefined ? { kind: "job", row: newest.row } : { kind: "job", row: newest.row, payload });
  }
  const placed = new Set<string>();
  return writes.flatMap((write): OutboxWrite[] => {
    if (write.kind !== "job") return [write];
    if (placed.has(write.row.jobId)) return [];
    placed.add(write.row.jobId);
    return [merged.get(write.row.jobId)!];
  });
}

export async function writeToD1(d1: D1Database, writes: readonly OutboxWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await d1.batch(collapseJobRows(writes).map((w) => toStatement(d1, w)));
}
