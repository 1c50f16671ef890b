// What each shard counts per minute for the admin history, and how the counts of a window of minutes
// become one series per shard and one per region. Pure: the shard's storage (minute-log.ts) records
// one count per job event, the Worker merges what the shards answer.
//
// A job event counts in the minute it happened, in the shard where it happened: a lease adds its wait
// (from when the job became available: submitted, lease lost, or retry backoff over) to the wait
// histogram; reaching COMPLETED or FAILED adds its run time (from its lease) to the run histogram of
// that outcome; CANCELED and EXPIRED are counted. The depth (QUEUED, RUNNING) is sampled in the last
// second of each minute by the alarm.
import { addToHistogram, bucketOf, type Histogram, mergeInto } from "../lib/histogram";
import type { Job } from "../model/job";

export const MINUTE_MS = 60_000;
/** The minutes a shard keeps: an hour of history and the current minute, plus one so an hour is always whole. */
export const KEPT_MINUTES = 61;
/** How long before a minute's end its depth is sampled. */
const SAMPLE_LEAD_MS = 1_000;

/** The start of the minute `at` falls in (epoch ms). */
export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

export type ActivityKind = "wait" | "completed" | "failed" | "canceled" | "expired";

/** One count to record: `bucket` is the duration's histogram bucket (0 for the kinds without one). */
export interface Activity {
  kind: ActivityKind;
  bucket: number;
}

/** What a transition of a job adds to the minute it happened in; null for one that counts nothing. */
export function activityOf(before: Job, after: Job, at: number): Activity | null {
  if (before.state === "QUEUED" && after.state === "RUNNING") return { kind: "wait", bucket: bucketOf(at - before.availableAt) };
  switch (after.state) {
    case "COMPLETED":
    case "FAILED":
      return { kind: after.state === "COMPLETED" ? "completed" : "failed", bucket: bucketOf(at - (before.leaseStartedAt ?? at)) };
    case "CANCELED":
      return { kind: "canceled", bucket: 0 };
    case "EXPIRED":
      return { kind: "expired", bucket: 0 };
    default:
      return null;
  }
}

/** A stored count: `n` events of `kind` in `minute`, of duration bucket `bucket`. */
export interface MinuteCount extends Activity {
  minute: number;
  n: number;
}

export interface Depth {
  queued: number;
  running: number;
}

/** The depth sampled at `at`; it stands for the minute `at` falls in. */
export interface DepthSample extends Depth {
  at: number;
}

/** What a shard answers for a window of minutes. */
export interface ShardActivity {
  counts: MinuteCount[];
  /** The samples of the window, and the last one before it (the depth the window starts with). */
  samples: DepthSample[];
  /** The depth now, which the current minute shows. */
  live: Depth;
}

/** One minute's figures, of a shard or (merged) of a region. */
export interface MinuteFigures extends Depth {
  minute: number;
  completed: number;
  failed: number;
  canceled: number;
  expired: number;
  wait: Histogram;
  run: Histogram;
}

/**
 * When the alarm should next sample the depth: in the last second of the minute, while the shard holds
 * live jobs or its last sample was not empty (so the sample that says 0 is taken too); else null. A
 * sample taken before that second (the first after a quiet spell) is followed by the one of its minute.
 */
export function nextDepthSampleAt(last: DepthSample | null, live: boolean, now: number): number | null {
  if (!live && (last === null || (last.queued === 0 && last.running === 0))) return null;
  if (last === null) return now;
  const due = minuteOf(last.at) + MINUTE_MS - SAMPLE_LEAD_MS;
  return last.at < due ? due : due + MINUTE_MS;
}

/** The `minutes` minute starts that end with the one `now` falls in, oldest first. */
export function windowOf(minutes: number, now: number): number[] {
  const last = minuteOf(now);
  return Array.from({ length: minutes }, (_, i) => last - (minutes - 1 - i) * MINUTE_MS);
}

const emptyFigures = (minute: number, depth: Depth): MinuteFigures => ({
  minute,
  ...depth,
  completed: 0,
  failed: 0,
  canceled: 0,
  expired: 0,
  wait: new Map(),
  run: new Map(),
});

/**
 * A shard's figures for every minute of `window`: its counts; the depth of the last sample taken up to
 * the minute's end (the last known depth, 0 before any), and the live depth for the last minute.
 */
export function shardFigures(activity: ShardActivity, window: readonly number[]): MinuteFigures[] {
  const samples = [...activity.samples].sort((a, b) => a.at - b.at);
  let next = 0;
  let depth: Depth = { queued: 0, running: 0 };
  const figures = window.map((minute) => {
    while (next < samples.length && samples[next]!.at < minute + MINUTE_MS) {
      const { queued, running } = samples[next++]!;
      depth = { queued, running };
    }
    return emptyFigures(minute, depth);
  });
  const byMinute = new Map(figures.map((f) => [f.minute, f]));
  for (const { minute, kind, bucket, n } of activity.counts) {
    const f = byMinute.get(minute);
    if (!f) continue;
    if (kind === "wait") addToHistogram(f.wait, bucket, n);
    else f[kind] += n;
    if (kind === "completed" || kind === "failed") addToHistogram(f.run, bucket, n);
  }
  const current = figures[figures.length - 1];
  if (current) Object.assign(current, activity.live);
  return figures;
}

/** The sum of several series over the same window (the shards of a region): counts, depths and histograms add. */
export function mergeFigures(series: readonly MinuteFigures[][], window: readonly number[]): MinuteFigures[] {
  return window.map((minute, i) => {
    const sum = emptyFigures(minute, { queued: 0, running: 0 });
    for (const figures of series) {
      const f = figures[i]!;
      sum.queued += f.queued;
      sum.running += f.running;
      sum.completed += f.completed;
      sum.failed += f.failed;
      sum.canceled += f.canceled;
      sum.expired += f.expired;
      mergeInto(sum.wait, f.wait);
      mergeInto(sum.run, f.run);
    }
    return sum;
  });
}
