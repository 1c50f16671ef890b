// The region DO's miners table and the cancels each miner is told of at its next heartbeat (table
// pending_cancels). Miners' rows are kept parsed in memory once read or written, so polls and
// heartbeats parse no JSON and run no query for them; only a transaction that rolls back can make
// the copies wrong, and then forgetCopies drops them.
import { BoundedMap } from "../lib/bounded-map";
import type { Miner } from "../model/miner";
import { docsOf } from "./sql-docs";

/** How many miners' rows a shard keeps parsed in memory (a registered miner's row is about half a KiB). */
const MINER_COPIES = 20_000;

export class MinerRows {
  private readonly copies = new BoundedMap<string, Miner>(MINER_COPIES);
  /** The miners that may have pending cancels (a superset): read once, then kept by add and take. */
  private withCancels: Set<string> | null = null;

  constructor(private readonly sql: SqlStorage) {}

  forgetCopies(): void {
    this.copies.clear();
  }

  get(minerId: string): Miner | null {
    const copy = this.copies.get(minerId);
    if (copy) return copy;
    const row = this.sql.exec<{ doc: string }>("SELECT doc FROM miners WHERE miner_id = ?", minerId).toArray()[0];
    if (!row) return null;
    const miner = JSON.parse(row.doc) as Miner;
    this.copies.set(minerId, miner);
    return miner;
  }

  put(miner: Miner): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO miners (miner_id, status, last_seen_at, doc) VALUES (?, ?, ?, ?)",
      miner.minerId,
      miner.status,
      miner.lastSeenAt,
      JSON.stringify(miner),
    );
    this.copies.set(miner.minerId, miner);
  }

  delete(minerId: string): void {
    this.sql.exec("DELETE FROM miners WHERE miner_id = ?", minerId);
    this.copies.delete(minerId);
  }

  silentSince(cutoff: number, limit: number): Miner[] {
    return docsOf<Miner>(this.sql, "SELECT doc FROM miners WHERE status != 'OFFLINE' AND last_seen_at <= ? LIMIT ?", cutoff, limit);
  }

  addPendingCancel(minerId: string, jobId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO pending_cancels (miner_id, job_id) VALUES (?, ?)", minerId, jobId);
    this.mayHaveCancels().add(minerId);
  }

  takePendingCancels(minerId: string): string[] {
    // Every heartbeat asks; almost every time there is nothing to take, and no query is needed to know it.
    if (!this.mayHaveCancels().has(minerId)) return [];
    const ids = this.sql
      .exec<{ job_id: string }>("SELECT job_id FROM pending_cancels WHERE miner_id = ? ORDER BY job_id", minerId)
      .toArray()
      .map((r) => r.job_id);
    // Forgotten only once a query finds none: a take that a rolled-back transaction undid is asked again.
    if (ids.length > 0) this.sql.exec("DELETE FROM pending_cancels WHERE miner_id = ?", minerId);
    else this.mayHaveCancels().delete(minerId);
    return ids;
  }

  private mayHaveCancels(): Set<string> {
    this.withCancels ??= new Set(
      this.sql
        .exec<{ miner_id: string }>("SELECT DISTINCT miner_id FROM pending_cancels")
        .toArray()
        .map((r) => r.miner_id),
    );
    return this.withCancels;
  }
}
