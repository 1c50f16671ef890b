// The region DO's outbox: the D1 writes of each committed change, one row per change in the DO's own
// SQLite (table outbox, column `write`: the change's list of writes), written in the change's
// transaction and deleted once D1 has accepted them.
//
// While what is pending is small (the usual case: a flush follows every change), a copy of it is held
// in memory, so a flush never re-reads and re-parses what was just written: the copy follows each
// transaction (its appends count once it has committed, and are forgotten if it rolled back). When D1
// fails for long enough that the pending writes pass HELD_BYTES, the copy is dropped and flushes read
// the table in batches, as the object's memory is small; once the table is empty again, the copy resumes.
import type { OutboxWrite } from "../db/writes";
import { outboxRetryDelayMs } from "./timers";

/** Keys of the meta table that the outbox keeps while D1 fails. */
export const OUTBOX_META = { failures: "outbox_failures", retryAt: "outbox_retry_at" } as const;

/** The most pending JSON the outbox holds in memory; beyond it, flushes read the table. */
export const HELD_BYTES = 8 * 1024 * 1024;

interface Change {
  seq: number;
  writes: readonly OutboxWrite[];
  /** The length of its stored JSON. */
  bytes: number;
}

export interface MetaTable {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
}

export class Outbox {
  /** Every committed change not yet in D1, oldest first; null: not held (read the table). */
  private held: Change[] | null = null;
  private heldBytes = 0;
  /** Appended by the transaction that is running. */
  private staged: Change[] = [];
  /** Consecutive failed flushes; null until read from the meta table. */
  private failures: number | null = null;
  /** Changes with writes that this instance has committed: a change that did not move it has nothing for D1. */
  committed = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaTable,
  ) {}

  /** Inside a transaction: the writes one change implies. */
  append(writes: readonly OutboxWrite[]): void {
    if (writes.length === 0) return;
    const json = JSON.stringify(writes);
    const { seq } = this.sql.exec<{ seq: number }>("INSERT INTO outbox (write) VALUES (?) RETURNING seq", json).one();
    this.staged.push({ seq, writes, bytes: json.length });
  }

  /** After each transaction: whether it committed. */
  settle(committed: boolean): void {
    if (committed && this.staged.length > 0) {
      this.committed += this.staged.length;
      if (this.held) {
        this.held.push(...this.staged);
        this.heldBytes += this.staged.reduce((n, change) => n + change.bytes, 0);
        if (this.heldBytes > HELD_BYTES) this.held = null;
      }
    }
    this.staged = [];
  }

  /** The oldest pending changes, whole, with up to `limit` writes (more only when one change has more); `through`: the last one's seq. */
  next(limit: number): { through: number; writes: OutboxWrite[] } | null {
    let changes = this.held;
    if (!changes) {
      // Each row holds at least one write, so `limit` rows are enough for a batch.
      changes = this.readTable(limit);
      if (changes.length === 0) this.hold([]);
    }
    const writes: OutboxWrite[] = [];
    let through: number | null = null;
    for (const change of changes) {
      if (through !== null && writes.length + change.writes.length > limit) break;
      writes.push(...change.writes);
      through = change.seq;
    }
    return through === null ? null : { through, writes };
  }

  /** D1 accepted the changes through `through`. */
  delivered(through: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", through);
    if (this.held) {
      const kept = this.held.filter((change) => change.seq > through);
      this.hold(kept);
    } else if (this.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length === 0) {
      this.hold([]);
    }
    if (this.failureCount() > 0) {
      this.failures = 0;
      this.meta.set(OUTBOX_META.failures, null);
      this.meta.set(OUTBOX_META.retryAt, null);
    }
  }

  /** A flush failed: the alarm tries again, backing off while D1 keeps failing (OUTBOX_META.retryAt). */
  failed(now: number): void {
    this.failures = this.failureCount() + 1;
    this.meta.set(OUTBOX_META.failures, String(this.failures));
    this.meta.set(OUTBOX_META.retryAt, String(now + outboxRetryDelayMs(this.failures)));
  }

  /** Writes waiting for D1. */
  size(): number {
    if (this.held) return this.held.reduce((n, change) => n + change.writes.length, 0);
    return this.sql.exec<{ n: number | null }>("SELECT SUM(json_array_length(write)) AS n FROM outbox").one().n ?? 0;
  }

  /** Whether the pending changes are held in memory (see HELD_BYTES). */
  holdsPending(): boolean {
    return this.held !== null;
  }

  private hold(changes: Change[]): void {
    this.held = changes;
    this.heldBytes = changes.reduce((n, change) => n + change.bytes, 0);
  }

  private readTable(rows: number): Change[] {
    return this.sql
      .exec<{ seq: number; write: string }>("SELECT seq, write FROM outbox ORDER BY seq LIMIT ?", rows)
      .toArray()
      .map((row) => ({ seq: row.seq, writes: JSON.parse(row.write) as readonly OutboxWrite[], bytes: row.write.length }));
  }

  private failureCount(): number {
    this.failures ??= Number(this.meta.get(OUTBOX_META.failures) ?? 0);
    return this.failures;
  }
}
