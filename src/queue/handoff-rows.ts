// The region DO's handoffs table: the jobs this shard has handed to another shard that the taker has
// not yet confirmed, each with the job as it left, so it can be offered again (see handoffs.ts).
import type { Job } from "../model/job";

export interface PendingHandoff {
  /** The taker's shard name. */
  target: string;
  job: Job;
}

export class HandoffRows {
  constructor(private readonly sql: SqlStorage) {}

  add(job: Job, target: string, now: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO handoffs (job_id, target, doc, created_at) VALUES (?, ?, ?, ?)",
      job.jobId,
      target,
      JSON.stringify(job),
      now,
    );
  }

  /** The oldest `limit` handoffs made at `createdBy` or earlier. */
  madeBy(createdBy: number, limit: number): PendingHandoff[] {
    return this.sql
      .exec<{ target: string; doc: string }>(
        "SELECT target, doc FROM handoffs WHERE created_at <= ? ORDER BY created_at LIMIT ?",
        createdBy,
        limit,
      )
      .toArray()
      .map((r) => ({ target: r.target, job: JSON.parse(r.doc) as Job }));
  }

  of(jobId: string): PendingHandoff | null {
    const row = this.sql.exec<{ target: string; doc: string }>("SELECT target, doc FROM handoffs WHERE job_id = ?", jobId).toArray()[0];
    return row ? { target: row.target, job: JSON.parse(row.doc) as Job } : null;
  }

  delete(jobIds: readonly string[]): void {
    for (const jobId of jobIds) this.sql.exec("DELETE FROM handoffs WHERE job_id = ?", jobId);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handoffs").one().n;
  }
}
