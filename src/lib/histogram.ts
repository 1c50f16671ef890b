// Histograms of durations in milliseconds over fixed log-scale buckets: bucket 0 holds [0, 1) ms and
// bucket b ≥ 1 holds [2^((b−1)/8), 2^(b/8)) ms, eight to a doubling (each about 9 % wide). The buckets
// are the same wherever a histogram is recorded, so histograms merge exactly: add the counts bucket
// by bucket. A percentile is known to within its bucket, and reported as the bucket's geometric middle
// (at most about 4.4 % from any value in it).

/** Bucket number → how many values fell in it. */
export type Histogram = Map<number, number>;

const BUCKETS_PER_DOUBLING = 8;

/** The bucket of a duration; a negative (or NaN) one counts as 0 ms. */
export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.floor(Math.log2(ms) * BUCKETS_PER_DOUBLING) + 1;
}

/** The value a bucket stands for: 0 for bucket 0, else its geometric middle, rounded to the millisecond. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0;
  return Math.round(2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING));
}

export function addToHistogram(histogram: Histogram, bucket: number, count = 1): void {
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
}

/** Adds every count of `from` into `into`. */
export function mergeInto(into: Histogram, from: Histogram): void {
  for (const [bucket, count] of from) addToHistogram(into, bucket, count);
}

/**
 * The nearest-rank percentile (`fraction` in (0, 1]): the value of the bucket that holds the
 * ⌈fraction × total⌉-th smallest value; null for an empty histogram.
 */
export function percentile(histogram: Histogram, fraction: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket)!;
    if (seen >= rank) return bucketValue(bucket);
  }
  return null;
}
