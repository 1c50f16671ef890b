import { describe, expect, it } from "vitest";
import { judgePost, type LeaseHolder, MAX_PROGRESS_BYTES_PER_JOB, type ProgressPost, progressMessages } from "../../src/queue/progress";
import type { StreamHead } from "../../src/queue/stream-log";

const LEASE = "a".repeat(32);
const OTHER_LEASE = "b".repeat(32);
const running: LeaseHolder = { jobId: "j".repeat(32), state: "RUNNING", minerId: "m1", leaseId: LEASE, attempts: 1 };
const fresh: StreamHead = { lastId: 2, leaseId: null, lastSeq: null, progressBytes: 0 };
const post = (over: Partial<ProgressPost> = {}): ProgressPost => ({ leaseId: LEASE, seq: 0, output: "x", ...over });

describe("judgePost", () => {
  it("takes a post of the lease holder", () => {
    expect(judgePost(running, "m1", post(), fresh, 100)).toEqual({ kind: "take" });
  });

  it("answers a seq at or below the last one taken for this lease as a duplicate, whatever else it says", () => {
    const head = { ...fresh, leaseId: LEASE, lastSeq: 4 };
    expect(judgePost(running, "m1", post({ seq: 4 }), head, 100).kind).toBe("duplicate");
    expect(judgePost(running, "m1", post({ seq: 0, output: "other" }), head, 100).kind).toBe("duplicate");
    expect(judgePost(running, "m1", post({ seq: 5 }), head, 100).kind).toBe("take");
    // Even once the job is full: a retry of a post already taken is not refused.
    expect(judgePost(running, "m1", post({ seq: 4 }), { ...head, progressBytes: MAX_PROGRESS_BYTES_PER_JOB }, 100).kind).toBe("duplicate");
  });

  it("starts seq afresh for a new lease (the next attempt)", () => {
    const head = { ...fresh, leaseId: OTHER_LEASE, lastSeq: 9 };
    expect(judgePost(running, "m1", post({ seq: 0 }), head, 100).kind).toBe("take");
  });

  it("answers canceled when the job was canceled or expired under this very lease", () => {
    for (const state of ["CANCELED", "EXPIRED"] as const) {
      expect(judgePost({ ...running, state }, "m1", post(), fresh, 100).kind).toBe("canceled");
      expect(judgePost({ ...running, state }, "m1", post({ leaseId: OTHER_LEASE }), fresh, 100).kind).toBe("lease_lost");
      expect(judgePost({ ...running, state }, "m2", post(), fresh, 100).kind).toBe("lease_lost");
    }
  });

  it("refuses any other stale lease as lost", () => {
    const lost = (job: LeaseHolder, minerId = "m1", leaseId = LEASE) => judgePost(job, minerId, post({ leaseId }), fresh, 1).kind;
    expect(lost(running, "m1", OTHER_LEASE)).toBe("lease_lost");
    expect(lost(running, "m2")).toBe("lease_lost");
    expect(lost({ ...running, state: "COMPLETED" })).toBe("lease_lost");
    expect(lost({ ...running, state: "FAILED" })).toBe("lease_lost");
    expect(lost({ ...running, state: "QUEUED", minerId: null, leaseId: null })).toBe("lease_lost");
  });

  it("refuses what would store more than the job's budget, and takes what fits exactly", () => {
    const head = { ...fresh, progressBytes: MAX_PROGRESS_BYTES_PER_JOB - 100 };
    expect(judgePost(running, "m1", post(), head, 100).kind).toBe("take");
    expect(judgePost(running, "m1", post(), head, 101).kind).toBe("full");
  });
});

describe("progressMessages", () => {
  const at = Date.UTC(2030, 0, 1);

  it("makes job.progress for progress or a message, then output.chunk for output, with the attempt and seq", () => {
    const messages = progressMessages(running, { leaseId: LEASE, seq: 3, progress: 0.5, output: "out" }, at);
    expect(messages).toEqual([
      { type: "job.progress", job_id: running.jobId, at: "2030-01-01T00:00:00.000Z", attempt: 2, seq: 3, progress: 0.5, message: null },
      { type: "output.chunk", job_id: running.jobId, at: "2030-01-01T00:00:00.000Z", attempt: 2, seq: 3, data: "out" },
    ]);
    expect(progressMessages(running, { leaseId: LEASE, seq: 0, message: "hi" }, at)).toEqual([
      expect.objectContaining({ type: "job.progress", progress: null, message: "hi" }),
    ]);
    expect(progressMessages(running, { leaseId: LEASE, seq: 0, output: "o" }, at).map((m) => m.type)).toEqual(["output.chunk"]);
  });
});
