// The region DO's outbox: the D1 writes of each committed change, one row per change in the DO's own
// SQLite (table outbox), written in the change's transaction and deleted once D1 has accepted them.
// A copy of the pending rows in memory spares every flush re-reading and re-parsing what was just
// written: it is read from the table once, and follows each transaction (its appends count once it
// has committed, and are forgotten if it rolled back).
import type { OutboxWrite } from "../db/writes";
import { outboxRetryDelayMs } from "./timers";

/** Keys of the meta table that the outbox keeps while D1 fails. */
export const OUTBOX_META = { failures: "outbox_failures", retryAt: "outbox_retry_at" } as const;

interface Change {
  seq: number;
  writes: OutboxWrite[];
}

export interface MetaTable {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
}

export class Outbox {
  /** Committed and not yet in D1, oldest first; null until read from the table. */
  private pending: Change[] | null = null;
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
    // Read the committed rows before adding this one, so the copy neither misses nor doubles a row.
    this.loaded();
    const { seq } = this.sql.exec<{ seq: number }>("INSERT INTO outbox (write) VALUES (?) RETURNING seq", JSON.stringify(writes)).one();
    this.staged.push({ seq, writes: [...writes] });
  }

  /** After each transaction: whether it committed. */
  settle(committed: boolean): void {
    if (committed && this.staged.length > 0) {
      this.loaded().push(...this.staged);
      this.committed += this.staged.length;
    }
    this.staged = [];
  }

  /** The oldest pending changes, whole, with up to `limit` writes (more only when one change has more); `through`: the last one's seq. */
  next(limit: number): { through: number; writes: OutboxWrite[] } | null {
    const writes: OutboxWrite[] = [];
    let through: number | null = null;
    for (const change of this.loaded()) {
      if (through !== null && writes.length + change.writes.length > limit) break;
      writes.push(...change.writes);
      through = change.seq;
    }
    return through === null ? null : { through, writes };
  }

  /** D1 accepted the changes through `through`. */
  delivered(through: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", through);
    this.pending = this.loaded().filter((change) => change.seq > through);
    if (this.failureCount() > 0) {
      this.failures = 0;
      this.meta.set(OUTBOX_META.failures, null);
      this.meta.set(OUTBOX_META.retryAt, null);
    }
  }

  /** A flush failed: answers when the alarm tries again (backing off while D1 keeps failing). */
  failed(now: number): number {
    this.failures = this.failureCount() + 1;
    const retryAt = now + outboxRetryDelayMs(this.failures);
    this.meta.set(OUTBOX_META.failures, String(this.failures));
    this.meta.set(OUTBOX_META.retryAt, String(retryAt));
    return retryAt;
  }

  /** Writes waiting for D1. */
  size(): number {
    return this.loaded().reduce((n, change) => n + change.writes.length, 0);
  }

  private loaded(): Change[] {
    this.pending ??= this.sql
      .exec<{ seq: number; write: string }>("SELECT seq, write FROM outbox ORDER BY seq")
      .toArray()
      .map((row) => ({ seq: row.seq, writes: JSON.parse(row.write) as OutboxWrite[] }));
    return this.pending;
  }

  private failureCount(): number {
    this.failures ??= Number(this.meta.get(OUTBOX_META.failures) ?? 0);
    return this.failures;
  }
}
