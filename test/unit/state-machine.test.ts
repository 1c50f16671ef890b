import { describe, expect, it } from "vitest";
import { FINAL_STATES, JOB_STATES, type Job, type JobState } from "../../src/model/job";
import { checkLease, type JobCommand, newQueuedJob, retryBackoffMs, type Transition, transition } from "../../src/queue/state-machine";
import { buildUnsignedReceipt } from "../../src/receipts/build";
import { newJob } from "../helpers/region";
import { sampleInput } from "./receipts/fixtures";

const T0 = 1_700_000_000_000;
const NOW = T0 + 60_000;
const HOLDER = "miner-a";
const LEASE = "a".repeat(32);
const TERMS = { price: 0.5, gpus: 2 };

function makeJob(overrides: Partial<Job> = {}): Job {
  const queued = newQueuedJob(newJob("local", { jobId: "0123456789abcdef0123456789abcdef", payload: { prompt: "hello" } }), T0);
  return { ...queued, version: 4, eventSeq: 7, ...overrides };
}

/** A job that looks the way the queue leaves it in `state` (a RUNNING job holds HOLDER's lease). */
function jobIn(state: JobState, overrides: Partial<Job> = {}): Job {
  const leased = {
    minerId: HOLDER,
    leaseId: LEASE,
    leaseStartedAt: T0 + 1000,
    leaseExpiresAt: T0 + 31_000,
    leaseTerms: TERMS,
    leaseDeliveries: 2,
    leaseConfirmed: true,
    startedAt: T0 + 1000,
  };
  switch (state) {
    case "QUEUED":
      return makeJob({ state, ...overrides });
    case "RUNNING":
      return makeJob({ state, ...leased, ...overrides });
    case "COMPLETED":
      return makeJob({
        state,
        ...leased,
        leaseExpiresAt: null,
        completedAt: T0 + 2000,
        result: { ok: true },
        resultHash: `sha256:${"1".repeat(64)}`,
        ...overrides,
      });
    case "FAILED":
      return makeJob({
        state,
        ...leased,
        leaseExpiresAt: null,
        attempts: 3,
        completedAt: T0 + 2000,
        error: { code: "OOM", message: "out of memory" },
        ...overrides,
      });
    case "CANCELED":
      return makeJob({ state, completedAt: T0 + 2000, ...overrides });
    case "EXPIRED":
      return makeJob({ state, completedAt: T0 + 2000, error: { code: "JOB_EXPIRED", message: "expired" }, ...overrides });
  }
}

function allowed(tr: Transition) {
  if (!tr.ok) throw new Error(`expected the transition to be allowed, got ${tr.code}: ${tr.message}`);
  return tr;
}

const RECEIPT = { ...buildUnsignedReceipt(sampleInput()), signature: { alg: "Ed25519" as const, key_id: "k", sig: "s" } };
const lease: JobCommand = {
  type: "lease",
  minerId: "miner-b",
  leaseId: "b".repeat(32),
  leaseExpiresAt: NOW + 30_000,
  terms: { price: 1, gpus: 1 },
};
const complete: Extract<JobCommand, { type: "complete" }> = {
  type: "complete",
  result: { images: 1 },
  resultHash: `sha256:${"2".repeat(64)}`,
  receipt: RECEIPT,
  reported: {},
};
const gpuError = { code: "CUDA_ERROR", message: "device lost" };
const failRetryable: JobCommand = { type: "fail", error: gpuError, retryable: true, backoffMs: 4000 };
const failFinal: JobCommand = { type: "fail", error: gpuError, retryable: false, backoffMs: 4000 };
const loseLease: JobCommand = { type: "lose_lease", reason: "no heartbeat" };
const cancel: JobCommand = { type: "cancel" };
const expire: JobCommand = { type: "expire" };

// maxAttempts is 3: with attempts 0 the failing attempt is the first (attempts left),
// with attempts 2 it is the third and last (attempts spent).
const LEFT = { attempts: 0 };
const SPENT = { attempts: 2 };

interface Case {
  name: string;
  command: JobCommand;
  jobOverrides: Partial<Job>;
  /** The next state from each state that allows the command; every other state refuses it. */
  from: Partial<Record<JobState, { to: JobState; event: string }>>;
}

const CASES: Case[] = [
  { name: "lease", command: lease, jobOverrides: {}, from: { QUEUED: { to: "RUNNING", event: "leased" } } },
  { name: "complete", command: complete, jobOverrides: {}, from: { RUNNING: { to: "COMPLETED", event: "completed" } } },
  {
    name: "fail (retryable, attempts left)",
    command: failRetryable,
    jobOverrides: LEFT,
    from: { RUNNING: { to: "QUEUED", event: "retry_scheduled" } },
  },
  {
    name: "fail (retryable, attempts spent)",
    command: failRetryable,
    jobOverrides: SPENT,
    from: { RUNNING: { to: "FAILED", event: "failed" } },
  },
  {
    name: "fail (non-retryable, attempts left)",
    command: failFinal,
    jobOverrides: LEFT,
    from: { RUNNING: { to: "FAILED", event: "failed" } },
  },
  {
    name: "fail (non-retryable, attempts spent)",
    command: failFinal,
    jobOverrides: SPENT,
    from: { RUNNING: { to: "FAILED", event: "failed" } },
  },
  {
    name: "lose_lease (attempts left)",
    command: loseLease,
    jobOverrides: LEFT,
    from: { RUNNING: { to: "QUEUED", event: "lease_lost" } },
  },
  {
    name: "lose_lease (attempts spent)",
    command: loseLease,
    jobOverrides: SPENT,
    from: { RUNNING: { to: "FAILED", event: "failed" } },
  },
  {
    name: "cancel",
    command: cancel,
    jobOverrides: {},
    from: { QUEUED: { to: "CANCELED", event: "canceled" }, RUNNING: { to: "CANCELED", event: "canceled" } },
  },
  {
    name: "expire",
    command: expire,
    jobOverrides: {},
    from: { QUEUED: { to: "EXPIRED", event: "expired" }, RUNNING: { to: "EXPIRED", event: "expired" } },
  },
];

describe("transition: truth table of every command from every state", () => {
  for (const c of CASES) {
    for (const state of JOB_STATES) {
      const expected = c.from[state];
      if (expected) {
        it(`${c.name} moves a ${state} job to ${expected.to} with a "${expected.event}" event`, () => {
          const job = jobIn(state, c.jobOverrides);
          const tr = allowed(transition(job, c.command, NOW));
          expect(tr.job.state).toBe(expected.to);
          expect(tr.job.version).toBe(job.version + 1);
          expect(tr.job.eventSeq).toBe(job.eventSeq + 1);
          expect(tr.job.updatedAt).toBe(NOW);
          expect(tr.event).toMatchObject({
            jobId: job.jobId,
            seq: job.eventSeq + 1,
            type: expected.event,
            fromState: state,
            toState: expected.to,
            at: NOW,
          });
        });
      } else {
        it(`${c.name} is refused with CONFLICT_STATE for a ${state} job`, () => {
          const job = jobIn(state, c.jobOverrides);
          const before = structuredClone(job);
          const tr = transition(job, c.command, NOW);
          expect(tr).toEqual({ ok: false, code: "CONFLICT_STATE", message: expect.stringContaining(state) });
          expect(job).toEqual(before);
        });
      }
    }
  }

  it("lets nothing move a job out of a final state", () => {
    for (const state of FINAL_STATES) {
      for (const c of CASES) {
        expect(transition(jobIn(state, c.jobOverrides), c.command, NOW).ok, `${c.name} from ${state}`).toBe(false);
      }
    }
  });

  it("never mutates the job it is given", () => {
    for (const c of CASES) {
      for (const state of JOB_STATES) {
        const job = jobIn(state, c.jobOverrides);
        const before = structuredClone(job);
        transition(job, c.command, NOW);
        expect(job, `${c.name} from ${state}`).toEqual(before);
      }
    }
  });

  it("names the command and the state in a refusal", () => {
    const tr = transition(jobIn("COMPLETED"), cancel, NOW);
    expect(tr).toEqual({ ok: false, code: "CONFLICT_STATE", message: "cannot cancel a COMPLETED job" });
  });
});

describe("transition: lease", () => {
  it("gives the job to the miner with the new lease, started now", () => {
    const job = jobIn("QUEUED", { attempts: 1, availableAt: T0 + 5000 });
    const { job: next, event } = allowed(transition(job, lease, NOW));
    expect(next).toMatchObject({
      state: "RUNNING",
      minerId: "miner-b",
      leaseId: "b".repeat(32),
      leaseStartedAt: NOW,
      leaseExpiresAt: NOW + 30_000,
      leaseTerms: { price: 1, gpus: 1 },
      leaseDeliveries: 1,
      leaseConfirmed: false,
      startedAt: NOW,
      completedAt: null,
      attempts: 1,
      availableAt: T0 + 5000,
    });
    expect(event).toMatchObject({ minerId: "miner-b", leaseId: "b".repeat(32), detail: { attempt: 2 } });
  });

  it("numbers the first attempt 1", () => {
    expect(allowed(transition(jobIn("QUEUED"), lease, NOW)).event.detail).toEqual({ attempt: 1 });
  });
});

describe("transition: complete", () => {
  it("stores result, hash and receipt, stamps completedAt and ends the lease", () => {
    const job = jobIn("RUNNING", { attempts: 1 });
    const { job: next, event } = allowed(transition(job, complete, NOW));
    expect(next).toMatchObject({
      state: "COMPLETED",
      completedAt: NOW,
      result: { images: 1 },
      resultHash: `sha256:${"2".repeat(64)}`,
      receipt: RECEIPT,
      leaseExpiresAt: null,
      attempts: 1,
      startedAt: job.startedAt,
    });
    expect(event).toMatchObject({ minerId: HOLDER, leaseId: LEASE, detail: null });
  });

  it("keeps the miner that ran the job as its assigned miner", () => {
    const { job: next } = allowed(transition(jobIn("RUNNING"), complete, NOW));
    expect(next.minerId).toBe(HOLDER);
    expect(next.leaseId).toBe(LEASE);
  });

  it("keeps the lease terms and records the miner's metrics in the event, labelled as reported", () => {
    const reported = { units: 1e15, unit_type: "gpu_seconds", price: 1e15, duration_ms: 1e13 };
    const { job: next, event } = allowed(transition(jobIn("RUNNING"), { ...complete, reported }, NOW));
    expect(next.leaseTerms).toEqual(TERMS);
    expect(event.detail).toEqual({ reported_metrics: reported });
  });

  it("accepts a null receipt", () => {
    const { job: next } = allowed(transition(jobIn("RUNNING"), { ...complete, receipt: null }, NOW));
    expect(next.receipt).toBeNull();
  });
});

describe("transition: fail", () => {
  it("requeues a retryable failure with attempts left after the backoff, releasing the lease", () => {
    const job = jobIn("RUNNING", { attempts: 0, maxAttempts: 3 });
    const { job: next, event } = allowed(transition(job, failRetryable, NOW));
    expect(next).toMatchObject({
      state: "QUEUED",
      attempts: 1,
      availableAt: NOW + 4000,
      minerId: null,
      leaseId: null,
      leaseStartedAt: null,
      leaseExpiresAt: null,
      completedAt: null,
      error: gpuError,
    });
    expect(event).toMatchObject({
      type: "retry_scheduled",
      minerId: HOLDER,
      leaseId: LEASE,
      detail: { error: gpuError, retry_at: NOW + 4000 },
    });
  });

  it("still retries when the failing attempt is the last but one", () => {
    const { job: next } = allowed(transition(jobIn("RUNNING", { attempts: 1, maxAttempts: 3 }), failRetryable, NOW));
    expect(next.state).toBe("QUEUED");
    expect(next.attempts).toBe(2);
  });

  it("fails for good when a retryable failure spends the last attempt", () => {
    const job = jobIn("RUNNING", { attempts: 2, maxAttempts: 3 });
    const { job: next, event } = allowed(transition(job, failRetryable, NOW));
    expect(next).toMatchObject({
      state: "FAILED",
      attempts: 3,
      completedAt: NOW,
      leaseExpiresAt: null,
      error: gpuError,
      availableAt: job.availableAt,
    });
    expect(event).toMatchObject({ type: "failed", minerId: HOLDER, detail: { error: gpuError, retryable: true } });
  });

  it("fails at once on a single-attempt job", () => {
    const { job: next } = allowed(transition(jobIn("RUNNING", { attempts: 0, maxAttempts: 1 }), failRetryable, NOW));
    expect(next.state).toBe("FAILED");
    expect(next.attempts).toBe(1);
  });

  it("fails a non-retryable failure at once even with attempts left", () => {
    const job = jobIn("RUNNING", { attempts: 0, maxAttempts: 10 });
    const { job: next, event } = allowed(transition(job, failFinal, NOW));
    expect(next).toMatchObject({ state: "FAILED", attempts: 1, completedAt: NOW, leaseExpiresAt: null, error: gpuError });
    expect(event.detail).toEqual({ error: gpuError, retryable: false });
  });
});

describe("transition: lose_lease", () => {
  it("requeues the job at once (no backoff) with the lease released and the reason recorded", () => {
    const job = jobIn("RUNNING", { attempts: 0, availableAt: T0 });
    const { job: next, event } = allowed(transition(job, loseLease, NOW));
    expect(next).toMatchObject({
      state: "QUEUED",
      attempts: 1,
      availableAt: NOW,
      minerId: null,
      leaseId: null,
      leaseStartedAt: null,
      leaseExpiresAt: null,
      leaseTerms: null,
      leaseDeliveries: 0,
      leaseConfirmed: false,
      completedAt: null,
      error: { code: "LEASE_EXPIRED", message: "no heartbeat" },
    });
    expect(event).toMatchObject({ type: "lease_lost", minerId: HOLDER, leaseId: LEASE, detail: { reason: "no heartbeat" } });
  });

  it("fails the job when the lost attempt was the last", () => {
    const { job: next, event } = allowed(transition(jobIn("RUNNING", { attempts: 2, maxAttempts: 3 }), loseLease, NOW));
    expect(next).toMatchObject({
      state: "FAILED",
      attempts: 3,
      completedAt: NOW,
      leaseExpiresAt: null,
      error: { code: "LEASE_EXPIRED", message: "no heartbeat" },
    });
    expect(event).toMatchObject({ type: "failed", minerId: HOLDER, detail: { reason: "no heartbeat" } });
  });
});

describe("transition: cancel and expire", () => {
  it("cancels a queued job, stamping completedAt", () => {
    const { job: next, event } = allowed(transition(jobIn("QUEUED"), cancel, NOW));
    expect(next).toMatchObject({ state: "CANCELED", completedAt: NOW, minerId: null, leaseExpiresAt: null, attempts: 0 });
    expect(event).toMatchObject({ minerId: null, leaseId: null, detail: null });
  });

  it("cancels a running job, ending its lease and naming the holder in the event", () => {
    const { job: next, event } = allowed(transition(jobIn("RUNNING"), cancel, NOW));
    expect(next).toMatchObject({ state: "CANCELED", completedAt: NOW, leaseExpiresAt: null, attempts: 0 });
    expect(event).toMatchObject({ minerId: HOLDER, leaseId: LEASE });
  });

  it("expires a queued job with a JOB_EXPIRED error naming the TTL", () => {
    const { job: next } = allowed(transition(jobIn("QUEUED", { ttlSeconds: 60 }), expire, NOW));
    expect(next).toMatchObject({
      state: "EXPIRED",
      completedAt: NOW,
      leaseExpiresAt: null,
      error: { code: "JOB_EXPIRED", message: expect.stringContaining("60") },
    });
  });

  it("expires a running job, ending its lease", () => {
    const { job: next, event } = allowed(transition(jobIn("RUNNING"), expire, NOW));
    expect(next).toMatchObject({ state: "EXPIRED", completedAt: NOW, leaseExpiresAt: null });
    expect(event).toMatchObject({ minerId: HOLDER, detail: null });
  });
});

describe("transition: a whole life", () => {
  it("counts versions, event sequence numbers and attempts across lease, retry, lost lease and completion", () => {
    let job = makeJob({ version: 1, eventSeq: 1, maxAttempts: 3 });
    const seqs: number[] = [];
    const step = (command: JobCommand, at: number) => {
      const tr = allowed(transition(job, command, at));
      seqs.push(tr.event.seq);
      job = tr.job;
    };
    step({ type: "lease", minerId: "m1", leaseId: "1".repeat(32), leaseExpiresAt: T0 + 30_000, terms: TERMS }, T0);
    step({ type: "fail", error: gpuError, retryable: true, backoffMs: 2000 }, T0 + 10_000);
    expect(job).toMatchObject({ state: "QUEUED", attempts: 1, availableAt: T0 + 12_000 });
    step({ type: "lease", minerId: "m2", leaseId: "2".repeat(32), leaseExpiresAt: T0 + 50_000, terms: TERMS }, T0 + 20_000);
    step({ type: "lose_lease", reason: "silent" }, T0 + 50_000);
    expect(job).toMatchObject({ state: "QUEUED", attempts: 2 });
    step({ type: "lease", minerId: "m3", leaseId: "3".repeat(32), leaseExpiresAt: T0 + 90_000, terms: TERMS }, T0 + 60_000);
    step(complete, T0 + 70_000);
    expect(job).toMatchObject({ state: "COMPLETED", attempts: 2, minerId: "m3", version: 7, eventSeq: 7, completedAt: T0 + 70_000 });
    expect(seqs).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe("checkLease", () => {
  const running = jobIn("RUNNING");

  it("accepts the holder with its current lease id", () => {
    expect(checkLease(running, HOLDER, LEASE)).toEqual({ ok: true });
  });

  it("accepts the holder without a lease id (older miners send none)", () => {
    expect(checkLease(running, HOLDER, undefined)).toEqual({ ok: true });
  });

  it("refuses another miner even if it quotes the current lease id", () => {
    expect(checkLease(running, "miner-z", LEASE)).toMatchObject({ ok: false, code: "LEASE_LOST" });
  });

  it("refuses another miner without a lease id", () => {
    expect(checkLease(running, "miner-z", undefined)).toMatchObject({ ok: false, code: "LEASE_LOST" });
  });

  it("refuses the holder quoting a stale lease id", () => {
    expect(checkLease(running, HOLDER, "f".repeat(32))).toEqual({
      ok: false,
      code: "LEASE_LOST",
      message: "lease_id is not the job's current lease",
    });
  });

  for (const state of JOB_STATES.filter((s) => s !== "RUNNING")) {
    it(`refuses even the last holder once the job is ${state}`, () => {
      const job = jobIn(state, { minerId: HOLDER, leaseId: LEASE });
      expect(checkLease(job, HOLDER, LEASE)).toMatchObject({ ok: false, code: "LEASE_LOST" });
      expect(checkLease(job, HOLDER, undefined)).toMatchObject({ ok: false, code: "LEASE_LOST" });
    });
  }

  it("refuses the old holder after the job was re-leased to another miner", () => {
    const requeued = allowed(transition(running, loseLease, NOW)).job;
    const releasedTo = allowed(transition(requeued, lease, NOW + 1)).job;
    expect(checkLease(releasedTo, HOLDER, LEASE)).toMatchObject({ ok: false, code: "LEASE_LOST" });
    expect(checkLease(releasedTo, HOLDER, undefined)).toMatchObject({ ok: false, code: "LEASE_LOST" });
    expect(checkLease(releasedTo, "miner-b", "b".repeat(32))).toEqual({ ok: true });
  });
});

describe("retryBackoffMs", () => {
  it("waits the base after the first failed attempt", () => {
    expect(retryBackoffMs(1, 2, 300)).toBe(2000);
  });

  it("doubles with every further failed attempt", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryBackoffMs(n, 2, 300))).toEqual([2000, 4000, 8000, 16_000, 32_000]);
  });

  it("is capped at the maximum", () => {
    expect(retryBackoffMs(8, 2, 300)).toBe(256_000);
    expect(retryBackoffMs(9, 2, 300)).toBe(300_000);
    expect(retryBackoffMs(50, 2, 300)).toBe(300_000);
    expect(retryBackoffMs(5000, 2, 300)).toBe(300_000);
  });

  it("treats zero failed attempts like the first", () => {
    expect(retryBackoffMs(0, 3, 300)).toBe(3000);
  });

  it("never exceeds the maximum even when the base does", () => {
    expect(retryBackoffMs(1, 10, 5)).toBe(5000);
  });

  it("works with one-second settings for fast local setups", () => {
    expect([1, 2, 3].map((n) => retryBackoffMs(n, 1, 2))).toEqual([1000, 2000, 2000]);
  });
});

describe("transition: errors of earlier attempts", () => {
  it("clears the last attempt's error when the job completes", () => {
    const tr = allowed(transition(jobIn("RUNNING", { error: gpuError }), complete, NOW));
    expect(tr.job.error).toBeNull();
  });
});
