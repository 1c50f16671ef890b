import { describe, expect, it } from "vitest";
import type { Job } from "../../src/model/job";
import { heldAtMost, type PollReading, readPoll } from "../../src/queue/redelivery";
import { newQueuedJob } from "../../src/queue/state-machine";
import { newJob } from "../helpers/region";

const T0 = 1_700_000_000_000;

function running(jobId: string, leaseStartedAt: number, leaseConfirmed = false): Job {
  const queued = newQueuedJob(newJob("local", { jobId }), T0);
  return { ...queued, state: "RUNNING", minerId: "m", leaseId: jobId, leaseStartedAt, leaseDeliveries: 1, leaseConfirmed };
}

const runningJobs = (jobs: Job[]) => ({ count: jobs.length, read: () => jobs });

const lostIds = (reading: PollReading) => (reading.kind === "lost" ? reading.leases.map((j) => j.jobId) : reading.kind);

describe("heldAtMost", () => {
  it("is the concurrency left once the free slots a poll claims are taken away, never below 0", () => {
    expect(heldAtMost(1, 1)).toBe(0);
    expect(heldAtMost(4, 1)).toBe(3);
    expect(heldAtMost(4, 4)).toBe(0);
    expect(heldAtMost(2, 64)).toBe(0);
  });
});

describe("readPoll", () => {
  const [a, b, c] = [running("a", T0 + 2), running("b", T0 + 1), running("c", T0 + 3)];

  it("is consistent while the region counts no more than the miner can hold", () => {
    expect(readPoll(runningJobs([a, b]), 4, 2)).toEqual({ kind: "consistent" });
    expect(readPoll(runningJobs([]), 1, 1)).toEqual({ kind: "consistent" });
    const unread = { count: 2, read: () => expect.unreachable("a consistent poll reads no lease") };
    expect(readPoll(unread, 4, 2)).toEqual({ kind: "consistent" });
  });

  it("finds every unconfirmed lease lost when no fewer are missing, oldest first", () => {
    expect(lostIds(readPoll(runningJobs([a]), 1, 1))).toEqual(["a"]);
    expect(lostIds(readPoll(runningJobs([a, b, c]), 3, 3))).toEqual(["b", "a", "c"]);
    expect(lostIds(readPoll(runningJobs([{ ...b, leaseConfirmed: true }, a, c]), 3, 2))).toEqual(["a", "c"]);
  });

  it("is unclear when more leases are unconfirmed than missing: it never guesses", () => {
    expect(readPoll(runningJobs([a, b]), 2, 1)).toEqual({ kind: "unclear" });
    expect(readPoll(runningJobs([a, b, c]), 3, 1)).toEqual({ kind: "unclear" });
  });

  it("is unclear when the missing ones are all confirmed (a result on its way)", () => {
    expect(readPoll(runningJobs([{ ...a, leaseConfirmed: true }]), 1, 1)).toEqual({ kind: "unclear" });
  });
});
