import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { countsByKey } from "../../lib/counts";
import { decodeCursor, pageOf } from "../../lib/cursor";
import { JOB_STATES } from "../../model/job";
import type { Db } from "../client";
import { type JobEventRow, type JobRow, jobEvents, jobs } from "../schema";

export interface JobFilters {
  clientId?: string;
  state?: string;
  region?: string;
  minerId?: string;
}

export async function selectJob(db: Db, jobId: string): Promise<JobRow | undefined> {
  return db.select().from(jobs).where(eq(jobs.jobId, jobId)).get();
}

/** The jobs D1 has among `jobIds` (at most 100, D1's bound-parameter limit), in no particular order. */
export async function selectJobsById(db: Db, jobIds: readonly string[]): Promise<JobRow[]> {
  if (jobIds.length === 0) return [];
  return db
    .select()
    .from(jobs)
    .where(inArray(jobs.jobId, [...jobIds]))
    .all();
}

/** Newest first, keyed by (requested_at, job_id) so a page never skips or repeats a job. */
export async function selectJobs(db: Db, filters: JobFilters, limit: number, cursor?: string) {
  const conditions: (SQL | undefined)[] = [
    filters.clientId ? eq(jobs.clientId, filters.clientId) : undefined,
    filters.state ? eq(jobs.state, filters.state) : undefined,
    filters.region ? eq(jobs.region, filters.region) : undefined,
    filters.minerId ? eq(jobs.assignedMinerId, filters.minerId) : undefined,
  ];
  if (cursor) {
    const [at, id] = decodeCursor<[number, string]>(cursor, ["number", "string"]);
    conditions.push(or(lt(jobs.requestedAt, at), and(eq(jobs.requestedAt, at), lt(jobs.jobId, id))));
  }
  const rows = await db
    .select()
    .from(jobs)
    .where(and(...conditions))
    .orderBy(desc(jobs.requestedAt), desc(jobs.jobId))
    .limit(limit + 1);
  return pageOf(rows, limit, (last) => [last.requestedAt, last.jobId]);
}

export async function selectJobEvents(db: Db, jobId: string): Promise<JobEventRow[]> {
  return db.select().from(jobEvents).where(eq(jobEvents.jobId, jobId)).orderBy(asc(jobEvents.seq)).all();
}

export async function jobStats(db: Db, now: number) {
  const [byState, byRegion, avg] = await db.batch([
    db.select({ key: jobs.state, n: sql<number>`count(*)` }).from(jobs).groupBy(jobs.state),
    db
      .select({
        region: sql<string>`coalesce(${jobs.queuedRegion}, ${jobs.region})`,
        queued: sql<number>`sum(${jobs.state} = 'QUEUED')`,
        running: sql<number>`sum(${jobs.state} = 'RUNNING')`,
        oldestQueuedAt: sql<number | null>`min(case when ${jobs.state} = 'QUEUED' then ${jobs.requestedAt} end)`,
      })
      .from(jobs)
      .groupBy(sql`coalesce(${jobs.queuedRegion}, ${jobs.region})`),
    db
      .select({ avgMs: sql<number | null>`avg(${jobs.completedAt} - ${jobs.startedAt})` })
      .from(jobs)
      .where(and(eq(jobs.state, "COMPLETED"), sql`${jobs.startedAt} is not null`)),
  ]);
  return {
    byState: countsByKey(JOB_STATES, byState),
    byRegion: byRegion.map((r) => ({
      region: r.region,
      queued: Number(r.queued ?? 0),
      running: Number(r.running ?? 0),
      oldestQueuedAgeSeconds: r.oldestQueuedAt == null ? null : Math.max(0, Math.round((now - r.oldestQueuedAt) / 1000)),
    })),
    averageDurationMs: avg[0]?.avgMs == null ? null : Math.round(avg[0].avgMs),
  };
}
