// A job's progress and output live in its region's own SQLite (job_stream) as long as the job does:
// until it is final plus FINISHED_JOB_RETENTION_SECONDS, when the alarm prunes both together.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { alarmAt, leasedJob, liveJob, QUEUE_SETTINGS, type RegionStub, T0 } from "../helpers/region";

const streamRows = (stub: RegionStub, jobId: string) =>
  runInDurableObject(
    stub,
    (_i: RegionCoordinator, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM job_stream WHERE job_id = ?", jobId).one().n,
  );

describe("progress retention", () => {
  it("keeps a job's stream while the job is kept, and prunes it with the job", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    for (let seq = 0; seq < 3; seq++) {
      const answer = await api.progress(call, job.jobId, { leaseId: lease.lease_id, seq, progress: seq / 3, output: `line ${seq}` });
      expect(answer.ok).toBe(true);
    }
    const done = await api.complete(call, job.jobId, lease.lease_id, {}, {});
    expect(done.ok).toBe(true);
    // leased, 3 × (progress, chunk), completed, result.ready
    expect(await streamRows(stub, job.jobId)).toBe(9);

    await alarmAt(stub, T0 + QUEUE_SETTINGS.finishedRetentionMs - 1);
    expect(await liveJob(stub, job.jobId)).not.toBeNull();
    expect(await streamRows(stub, job.jobId)).toBe(9);

    await alarmAt(stub, T0 + QUEUE_SETTINGS.finishedRetentionMs);
    expect(await liveJob(stub, job.jobId)).toBeNull();
    expect(await streamRows(stub, job.jobId)).toBe(0);
  });

  it("keeps the stream of a running job however long it runs", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0, job: { ttlSeconds: 86_400 } });
    await api.progress(call, job.jobId, { leaseId: lease.lease_id, seq: 0, output: "still here" });
    await alarmAt(stub, T0 + 20_000);
    expect(await streamRows(stub, job.jobId)).toBe(2);
  });
});
