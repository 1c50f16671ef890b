import { describe, expect, it } from "vitest";
import { type Deadlines, nextWakeAt, outboxRetryDelayMs } from "../../src/queue/timers";

const NOW = 1_700_000_000_000;

function deadlines(overrides: Partial<Deadlines> = {}): Deadlines {
  return {
    leaseExpiry: null,
    jobExpiry: null,
    backoffEnd: null,
    minerTimeout: null,
    outboxRetry: null,
    handoffRetry: null,
    finishedPrune: null,
    depthSample: null,
    ...overrides,
  };
}

describe("nextWakeAt", () => {
  it("is null when nothing is scheduled", () => {
    expect(nextWakeAt(deadlines(), NOW)).toBeNull();
  });

  it("wakes at a single deadline of any kind", () => {
    const kinds: (keyof Deadlines)[] = [
      "leaseExpiry",
      "jobExpiry",
      "backoffEnd",
      "minerTimeout",
      "outboxRetry",
      "handoffRetry",
      "finishedPrune",
      "depthSample",
    ];
    for (const kind of kinds) {
      expect(nextWakeAt(deadlines({ [kind]: NOW + 5000 }), NOW), kind).toBe(NOW + 5000);
    }
  });

  it("wakes at the earliest of several deadlines", () => {
    const all = deadlines({
      leaseExpiry: NOW + 30_000,
      jobExpiry: NOW + 900_000,
      backoffEnd: NOW + 4000,
      minerTimeout: NOW + 25_000,
      outboxRetry: NOW + 8000,
      finishedPrune: NOW + 86_400_000,
    });
    expect(nextWakeAt(all, NOW)).toBe(NOW + 4000);
    expect(nextWakeAt({ ...all, backoffEnd: null }, NOW)).toBe(NOW + 8000);
  });

  it("never wakes earlier than now, so an overdue deadline fires at once", () => {
    expect(nextWakeAt(deadlines({ leaseExpiry: NOW - 10_000, jobExpiry: NOW + 1000 }), NOW)).toBe(NOW);
  });

  it("wakes now for a deadline that is exactly now", () => {
    expect(nextWakeAt(deadlines({ outboxRetry: NOW }), NOW)).toBe(NOW);
  });

  it("treats a deadline at epoch 0 as a deadline, not as missing", () => {
    expect(nextWakeAt(deadlines({ leaseExpiry: 0 }), 0)).toBe(0);
  });
});

describe("outboxRetryDelayMs", () => {
  it("waits one second after the first failure", () => {
    expect(outboxRetryDelayMs(1)).toBe(1000);
  });

  it("doubles with each consecutive failure", () => {
    expect([1, 2, 3, 4, 5, 6].map(outboxRetryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it("is capped at one minute", () => {
    expect(outboxRetryDelayMs(7)).toBe(60_000);
    expect(outboxRetryDelayMs(30)).toBe(60_000);
    expect(outboxRetryDelayMs(10_000)).toBe(60_000);
  });

  it("treats zero failures like the first", () => {
    expect(outboxRetryDelayMs(0)).toBe(1000);
  });

  it("never shrinks as failures accumulate", () => {
    let previous = 0;
    for (let n = 1; n <= 40; n++) {
      const delay = outboxRetryDelayMs(n);
      expect(delay).toBeGreaterThanOrEqual(previous);
      previous = delay;
    }
  });
});
