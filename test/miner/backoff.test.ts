import { describe, expect, it } from "vitest";
import { Backoff } from "../../miner/backoff";

describe("Backoff", () => {
  it("doubles its ceiling with each failure up to the maximum, waiting in the upper half of it", () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0.999_999 });
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("starts over after a reset", () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 1_000, random: () => 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it("spreads the waits of miners that fail together", () => {
    const waits = new Set(Array.from({ length: 20 }, () => new Backoff({ baseMs: 1_000, maxMs: 10_000 }).next()));
    expect(waits.size).toBeGreaterThan(10);
  });
});
