import { describe, expect, it } from "vitest";
import type { Job, JobEvent, JobEventType, JobState } from "../../src/model/job";
import { sessionRows } from "../../src/queue/d1-rows";
import { newQueuedJob } from "../../src/queue/state-machine";
import { newJob } from "../helpers/region";

const T0 = 1_700_000_000_000;
const queued: Job = newQueuedJob(newJob("local", { jobId: "0123456789abcdef0123456789abcdef" }), T0);
const running: Job = { ...queued, state: "RUNNING", minerId: "miner-a", leaseId: "lease-1", leaseStartedAt: T0 + 1000, attempts: 1 };

const step = (type: JobEventType, before: Job, toState: JobState): JobEvent => ({
  jobId: before.jobId,
  seq: 3,
  type,
  fromState: before.state,
  toState,
  at: T0 + 5000,
  minerId: "miner-a",
  leaseId: "lease-1",
  detail: null,
  traceId: null,
  spanId: null,
});

describe("sessionRows", () => {
  it("opens the session of a lease that starts, with the attempt it is", () => {
    expect(sessionRows(queued, running, step("leased", queued, "RUNNING"))).toEqual([
      { leaseId: "lease-1", minerId: "miner-a", jobId: queued.jobId, attempt: 2, startedAt: T0 + 5000, endedAt: null, exitReason: null },
    ]);
  });

  it.each([
    ["completed", "COMPLETED"],
    ["failed", "FAILED"],
    ["retry_scheduled", "QUEUED"],
    ["lease_lost", "QUEUED"],
    ["canceled", "CANCELED"],
    ["expired", "EXPIRED"],
  ] as const)("closes the session of a lease that a %s step ends, from the lease's start", (type, toState) => {
    const after: Job = { ...running, state: toState, leaseId: toState === "QUEUED" ? null : running.leaseId };
    expect(sessionRows(running, after, step(type, running, toState))).toEqual([
      {
        leaseId: "lease-1",
        minerId: "miner-a",
        jobId: queued.jobId,
        attempt: 2,
        startedAt: T0 + 1000,
        endedAt: T0 + 5000,
        exitReason: type,
      },
    ]);
  });

  it("writes no session for a step that neither starts nor ends a lease", () => {
    expect(sessionRows(queued, { ...queued, state: "CANCELED" }, step("canceled", queued, "CANCELED"))).toEqual([]);
    expect(sessionRows(running, running, step("leased", running, "RUNNING"))).toEqual([]);
  });
});
