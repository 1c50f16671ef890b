// The per-minute counts and depth samples of a shard (tables minute_counts and minute_depths of the
// region DO's own SQLite, never written to D1), for the admin history. What counts, and when the
// depth is sampled: minute-stats.ts. A job event costs one upsert, inside the transaction of the event.
import { type Activity, type Depth, type DepthSample, KEPT_MINUTES, MINUTE_MS, type MinuteCount, minuteOf } from "./minute-stats";

/** The newest depth sample as columns of any SELECT (Store.deadlines reads it with the other deadlines). */
export const LAST_DEPTH_COLUMNS = ["queued", "running", "sampled_at"]
  .map((column) => `(SELECT ${column} FROM minute_depths ORDER BY minute DESC LIMIT 1) AS last_${column}`)
  .join(", ");

export type LastDepthRow = { last_queued: number | null; last_running: number | null; last_sampled_at: number | null };

export function lastDepthOf(row: LastDepthRow): DepthSample | null {
  if (row.last_sampled_at === null) return null;
  return { queued: row.last_queued ?? 0, running: row.last_running ?? 0, at: row.last_sampled_at };
}

export class MinuteLog {
  constructor(private readonly sql: SqlStorage) {}

  record(activity: Activity, at: number): void {
    this.sql.exec(
      `INSERT INTO minute_counts (minute, kind, bucket, n) VALUES (?, ?, ?, 1)
       ON CONFLICT (minute, kind, bucket) DO UPDATE SET n = n + 1`,
      minuteOf(at),
      activity.kind,
      activity.bucket,
    );
  }

  /** The depth at `at`, standing for its minute (a later sample of the same minute replaces it). */
  putDepth(at: number, depth: Depth): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO minute_depths (minute, queued, running, sampled_at) VALUES (?, ?, ?, ?)",
      minuteOf(at),
      depth.queued,
      depth.running,
      at,
    );
  }

  lastDepth(): DepthSample | null {
    return lastDepthOf(this.sql.exec<LastDepthRow>(`SELECT ${LAST_DEPTH_COLUMNS}`).one());
  }

  /** Forgets the minutes before the KEPT_MINUTES that end with the one `now` falls in. */
  prune(now: number): void {
    const oldest = minuteOf(now) - (KEPT_MINUTES - 1) * MINUTE_MS;
    this.sql.exec("DELETE FROM minute_counts WHERE minute < ?", oldest);
    this.sql.exec("DELETE FROM minute_depths WHERE minute < ?", oldest);
  }

  /** The counts of the minutes from `from` to `to` (minute starts), with their depth samples and the last one before. */
  window(from: number, to: number): { counts: MinuteCount[]; samples: DepthSample[] } {
    const counts = this.sql
      .exec<MinuteCount & Record<string, SqlStorageValue>>(
        "SELECT minute, kind, bucket, n FROM minute_counts WHERE minute BETWEEN ? AND ?",
        from,
        to,
      )
      .toArray();
    const samples = this.samples(
      `SELECT queued, running, sampled_at FROM minute_depths WHERE minute BETWEEN ? AND ?
       UNION ALL SELECT * FROM (SELECT queued, running, sampled_at FROM minute_depths WHERE minute < ? ORDER BY minute DESC LIMIT 1)`,
      from,
      to,
      from,
    );
    return { counts, samples };
  }

  private samples(query: string, ...bindings: SqlStorageValue[]): DepthSample[] {
    return this.sql
      .exec<{ queued: number; running: number; sampled_at: number }>(query, ...bindings)
      .toArray()
      .map((r) => ({ queued: r.queued, running: r.running, at: r.sampled_at }));
  }
}
