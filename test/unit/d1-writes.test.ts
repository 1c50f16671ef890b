import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobRow } from "../../src/db/schema";
import { collapseJobRows, type OutboxWrite, writeToD1 } from "../../src/db/writes";

const T = 1_700_000_000_000;

function jobWrite(jobId: string, version: number, changes: Partial<JobRow> = {}): OutboxWrite {
  return {
    kind: "job",
    payload: { prompt: "hi" },
    row: {
      jobId,
      clientId: "client_a",
      region: "local",
      state: "QUEUED",
      priority: 0,
      constraints: { gpu: "A100" },
      result: null,
      error: null,
      ttlSeconds: 900,
      maxAttempts: 3,
      attempts: 0,
      assignedMinerId: null,
      leaseId: null,
      requestedAt: T,
      startedAt: null,
      completedAt: null,
      expiresAt: T + 900_000,
      updatedAt: T + version,
      version,
      queuedRegion: "local",
      queuedShard: 0,
      ranRegion: null,
      traceId: null,
      ...changes,
    },
  };
}

/** A later row of a job: only a job's first row carries its payload. */
function laterJobWrite(jobId: string, version: number, changes: Partial<JobRow> = {}): OutboxWrite {
  const { payload: _first, ...later } = jobWrite(jobId, version, changes) as Extract<OutboxWrite, { kind: "job" }>;
  return later;
}

const jobRow = (jobId: string) => env.DB.prepare("SELECT * FROM jobs WHERE job_id = ?").bind(jobId).first<Record<string, unknown>>();

describe("writeToD1", () => {
  it("inserts a job with its JSON columns and moves it only forwards", async () => {
    await writeToD1(env.DB, [jobWrite("wj1", 1)]);
    expect(await jobRow("wj1")).toMatchObject({
      state: "QUEUED",
      version: 1,
      payload: '{"prompt":"hi"}',
      constraints: '{"gpu":"A100"}',
      result: null,
    });

    const done = jobWrite("wj1", 3, { state: "COMPLETED", result: { text: "ok" }, completedAt: T + 3, clientId: "client_b" });
    await writeToD1(env.DB, [done, jobWrite("wj1", 2, { state: "RUNNING" })]);
    // Version 2 arrived after version 3 and changed nothing; who submitted the job never changes.
    expect(await jobRow("wj1")).toMatchObject({ state: "COMPLETED", version: 3, result: '{"text":"ok"}', client_id: "client_a" });

    await writeToD1(env.DB, [done]);
    expect(await jobRow("wj1")).toMatchObject({ state: "COMPLETED", version: 3 });
  });

  it("writes a column missing from a JSON round-tripped row as null", async () => {
    const write = JSON.parse(JSON.stringify(jobWrite("wj2", 1, { result: undefined as never }))) as OutboxWrite;
    await writeToD1(env.DB, [write]);
    expect(await jobRow("wj2")).toMatchObject({ result: null, version: 1 });
  });

  it("keeps the first copy of an event and ends a lease's session once", async () => {
    const event = (type: string): OutboxWrite => ({
      kind: "event",
      row: {
        jobId: "wj3",
        seq: 1,
        type,
        fromState: null,
        toState: "QUEUED",
        at: T,
        minerId: null,
        leaseId: null,
        detail: { n: 1 },
        traceId: null,
        spanId: null,
      },
    });
    const session = (endedAt: number | null, exitReason: string | null): OutboxWrite => ({
      kind: "worker_session",
      row: { leaseId: "lease_w", minerId: "m", jobId: "wj3", attempt: 1, startedAt: T, endedAt, exitReason },
    });
    await writeToD1(env.DB, [
      event("submitted"),
      event("again"),
      session(null, null),
      session(T + 5, "completed"),
      session(T + 9, "expired"),
    ]);

    const events = await env.DB.prepare("SELECT type, detail FROM job_events WHERE job_id = 'wj3'").all();
    expect(events.results).toEqual([{ type: "submitted", detail: '{"n":1}' }]);
    const ended = await env.DB.prepare("SELECT ended_at, exit_reason FROM worker_sessions WHERE lease_id = 'lease_w'").first();
    expect(ended).toEqual({ ended_at: T + 5, exit_reason: "completed" });
  });

  it("writes a job once per batch: its newest row, with the payload of its first, where the first was", async () => {
    const submitted = jobWrite("wj4", 1);
    const leased = laterJobWrite("wj4", 2, { state: "RUNNING", assignedMinerId: "m", leaseId: "lease_4" });
    const event = (seq: number): OutboxWrite => ({
      kind: "event",
      row: {
        jobId: "wj4",
        seq,
        type: "x",
        fromState: null,
        toState: "QUEUED",
        at: T,
        minerId: null,
        leaseId: null,
        detail: {},
        traceId: null,
        spanId: null,
      },
    });
    const other = jobWrite("wj5", 1);
    const collapsed = collapseJobRows([submitted, event(1), other, leased, event(2)]);
    expect(collapsed).toEqual([{ ...leased, payload: { prompt: "hi" } }, event(1), other, event(2)]);
    expect(collapseJobRows([leased, submitted])).toEqual([{ ...leased, payload: { prompt: "hi" } }]);

    await writeToD1(env.DB, [submitted, event(1), leased, event(2)]);
    expect(await jobRow("wj4")).toMatchObject({ state: "RUNNING", version: 2, lease_id: "lease_4", payload: '{"prompt":"hi"}' });
  });
});
