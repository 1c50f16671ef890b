import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BillingInput, billingFacts, GPU_SECONDS_TOLERANCE_MS, leaseTerms, unitsBound } from "../../../src/receipts/billing";

const T0 = 1_700_000_000_000;

function input(overrides: Partial<BillingInput> = {}): BillingInput {
  return {
    terms: { price: 0.5, gpus: 1 },
    leaseStartedAtMs: T0,
    completedAtMs: T0 + 155,
    maxUnits: undefined,
    reported: {},
    ...overrides,
  };
}

describe("leaseTerms", () => {
  it("takes the advertised price and counts the registered GPUs", () => {
    const gpu = { name: "A100", memory_mb: 81920 };
    expect(leaseTerms({ price: 0.5, gpus: [gpu, gpu, gpu] })).toEqual({ price: 0.5, gpus: 3 });
  });

  it("agrees price 0 when none is advertised, and counts a miner without GPUs as one", () => {
    expect(leaseTerms({})).toEqual({ price: 0, gpus: 1 });
    expect(leaseTerms({ gpus: [] })).toEqual({ price: 0, gpus: 1 });
  });
});

describe("unitsBound", () => {
  it("bounds gpu_seconds by (lease time + 1 s) × GPUs", () => {
    expect(GPU_SECONDS_TOLERANCE_MS).toBe(1000);
    expect(unitsBound("gpu_seconds", { price: 1, gpus: 1 }, 155, undefined)).toBe(1.155);
    expect(unitsBound("gpu_seconds", { price: 1, gpus: 4 }, 9000, undefined)).toBe(40);
    expect(unitsBound("gpu_seconds", { price: 1, gpus: 1 }, 0, undefined)).toBe(1);
  });

  it("lowers the gpu_seconds bound to the client's max_units, never raises it", () => {
    expect(unitsBound("gpu_seconds", { price: 1, gpus: 1 }, 9000, 2)).toBe(2);
    expect(unitsBound("gpu_seconds", { price: 1, gpus: 1 }, 9000, 1e6)).toBe(10);
  });

  it("bounds any other unit type by max_units alone, and by 0 without it", () => {
    expect(unitsBound("tokens", { price: 1, gpus: 8 }, 60_000, 5000)).toBe(5000);
    expect(unitsBound("tokens", { price: 1, gpus: 8 }, 60_000, undefined)).toBe(0);
  });
});

describe("billingFacts", () => {
  it("signs the agreed price and the coordinator's times, capping the forged figures of the known attack", () => {
    const forged = billingFacts(input({ reported: { units: 1e15, price: 1e15, duration_ms: 1e13 } }));
    expect(forged).toEqual({ price: 0.5, units: 1.155, unitType: "gpu_seconds", startedAtMs: T0, completedAtMs: T0 + 155 });
  });

  it("keeps honest figures within the bound as reported", () => {
    expect(billingFacts(input({ reported: { units: 1, unit_type: "gpu_seconds", price: 1, duration_ms: 500 } }))).toMatchObject({
      units: 1,
      price: 0.5,
    });
    expect(billingFacts(input({ maxUnits: 300, reported: { units: 250, unit_type: "tokens" } }))).toMatchObject({
      units: 250,
      unitType: "tokens",
    });
  });

  it("bills the measured seconds when a miner reports no units, and 0 of a unit type it cannot measure", () => {
    expect(billingFacts(input({ completedAtMs: T0 + 2500 })).units).toBe(2.5);
    expect(billingFacts(input({ completedAtMs: T0 + 2500, maxUnits: 100, reported: { unit_type: "tokens" } })).units).toBe(0);
  });

  it("caps a unit type the client set no max_units for at 0", () => {
    expect(billingFacts(input({ reported: { units: 1e15, unit_type: "tokens" } })).units).toBe(0);
  });

  it("never starts after it completes, even if the clock stepped back", () => {
    expect(billingFacts(input({ leaseStartedAtMs: T0 + 10, completedAtMs: T0 }))).toMatchObject({ startedAtMs: T0, completedAtMs: T0 });
  });

  it("never bills more than the agreed price or the bound, whatever is reported", () => {
    const metrics = fc.record(
      {
        units: fc.double({ min: 0, max: 1e15, noNaN: true }),
        unit_type: fc.constantFrom("gpu_seconds", "tokens", "images"),
        price: fc.double({ min: 0, max: 1e15, noNaN: true }),
        duration_ms: fc.integer({ min: 0, max: 1e13 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        metrics,
        fc.record({ price: fc.double({ min: 0, max: 1e12, noNaN: true }), gpus: fc.integer({ min: 1, max: 64 }) }),
        fc.nat({ max: 86_400_000 }),
        fc.option(fc.double({ min: 0, max: 1e15, noNaN: true }), { nil: undefined }),
        (reported, terms, durationMs, maxUnits) => {
          const facts = billingFacts({ terms, leaseStartedAtMs: T0, completedAtMs: T0 + durationMs, maxUnits, reported });
          expect(facts.price).toBe(terms.price);
          expect([facts.startedAtMs, facts.completedAtMs]).toEqual([T0, T0 + durationMs]);
          expect(facts.units).toBeGreaterThanOrEqual(0);
          expect(facts.units).toBeLessThanOrEqual(unitsBound(facts.unitType, terms, durationMs, maxUnits));
        },
      ),
    );
  });
});
