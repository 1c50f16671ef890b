import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addToHistogram, bucketOf, bucketValue, type Histogram, mergeInto, percentile } from "../../src/lib/histogram";

const histogramOf = (values: readonly number[]): Histogram => {
  const h: Histogram = new Map();
  for (const v of values) addToHistogram(h, bucketOf(v));
  return h;
};

/** The exact nearest-rank percentile of a list. */
const exactPercentile = (values: readonly number[], fraction: number): number =>
  [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(fraction * values.length)) - 1]!;

const durations = fc.array(fc.integer({ min: 1, max: 86_400_000 }), { minLength: 1, maxLength: 200 });

describe("histogram buckets", () => {
  it("puts everything under 1 ms, negative and NaN included, in bucket 0, which stands for 0", () => {
    for (const ms of [0, 0.99, -5, Number.NaN]) expect(bucketOf(ms), String(ms)).toBe(0);
    expect(bucketValue(0)).toBe(0);
  });

  it("has eight buckets to a doubling, each starting at a power of 2^(1/8)", () => {
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(2)).toBe(9);
    expect(bucketOf(1024)).toBe(81);
    expect(bucketOf(1023.9)).toBe(80);
    expect(bucketOf(2 ** (1 / 8) + 1e-9)).toBe(2);
  });

  it("never decreases as the duration grows", () => {
    const buckets = Array.from({ length: 20_000 }, (_, i) => bucketOf(i * 5));
    expect(buckets.every((bucket, i) => i === 0 || bucket >= buckets[i - 1]!)).toBe(true);
  });

  it("stands for a value within 4.5 % of every duration of 1 ms or more it holds", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e9, noNaN: true }), (ms) => {
        expect(Math.abs(bucketValue(bucketOf(ms)) - ms) / ms).toBeLessThan(0.045 + 0.5 / ms);
      }),
    );
  });
});

describe("percentile", () => {
  it("is null for an empty histogram", () => {
    expect(percentile(new Map(), 0.5)).toBeNull();
  });

  it("is the nearest rank: a single slow job is the 95th percentile of 11, not of 21", () => {
    expect(percentile(histogramOf([...Array(10).fill(10), 1000]), 0.95)).toBe(bucketValue(bucketOf(1000)));
    expect(percentile(histogramOf([...Array(20).fill(10), 1000]), 0.95)).toBe(bucketValue(bucketOf(10)));
  });

  it("is within 4.5 % of the exact nearest-rank percentile", () => {
    fc.assert(
      fc.property(durations, fc.constantFrom(0.5, 0.95, 1), (values, fraction) => {
        const exact = exactPercentile(values, fraction);
        expect(Math.abs(percentile(histogramOf(values), fraction)! - exact) / exact).toBeLessThan(0.045 + 0.5 / exact);
      }),
    );
  });
});

describe("merging", () => {
  it("is exact: the histograms of two parts merge into the histogram of the whole", () => {
    fc.assert(
      fc.property(durations, durations, (a, b) => {
        const merged = histogramOf(a);
        mergeInto(merged, histogramOf(b));
        expect(merged).toEqual(histogramOf([...a, ...b]));
      }),
    );
  });
});
