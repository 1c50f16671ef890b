import { describe, expect, it } from "vitest";
import { bucketOf, bucketValue, percentile } from "../../src/lib/histogram";
import type { Job } from "../../src/model/job";
import {
  activityOf,
  type DepthSample,
  MINUTE_MS,
  type MinuteCount,
  mergeFigures,
  minuteOf,
  nextDepthSampleAt,
  type ShardActivity,
  shardFigures,
  windowOf,
} from "../../src/queue/minute-stats";
import { type JobCommand, newQueuedJob, transition } from "../../src/queue/state-machine";
import { newJob } from "../helpers/region";

const M0 = Date.UTC(2026, 0, 1, 12, 0);
const at = (minute: number, seconds = 0) => M0 + minute * MINUTE_MS + seconds * 1000;

/** Applies commands in turn; answers the last transition's before and after. */
function run(job: Job, steps: [JobCommand, number][]): { before: Job; after: Job; at: number } {
  let before = job;
  let after = job;
  let when = job.requestedAt;
  for (const [command, now] of steps) {
    const tr = transition(after, command, now);
    if (!tr.ok) throw new Error(tr.message);
    before = after;
    after = tr.job;
    when = now;
  }
  return { before, after, at: when };
}

const queued = () => newQueuedJob(newJob("local", { maxAttempts: 2 }), at(0));
const lease = { type: "lease", minerId: "m", leaseId: "a".repeat(32), leaseExpiresAt: at(5), terms: { price: 0, gpus: 1 } } as const;
const complete = { type: "complete", result: {}, resultHash: "h", receipt: null, reported: {} } as const;
const fail = (retryable: boolean, backoffMs = 0) =>
  ({ type: "fail", error: { code: "E", message: "" }, retryable, backoffMs }) as const satisfies JobCommand;

const activity = (r: { before: Job; after: Job; at: number }) => activityOf(r.before, r.after, r.at);

describe("what a transition counts", () => {
  it("a lease counts its wait since the job was submitted", () => {
    expect(activity(run(queued(), [[lease, at(0, 12)]]))).toEqual({ kind: "wait", bucket: bucketOf(12_000) });
  });

  it("a lease after a retry counts its wait since the backoff ended, not since the submission", () => {
    const r = run(queued(), [
      [lease, at(0, 1)],
      [fail(true, 4000), at(0, 2)],
      [lease, at(0, 9)],
    ]);
    expect(activity(r)).toEqual({ kind: "wait", bucket: bucketOf(3000) });
  });

  it("completion and final failure count the run time since the lease, under their outcome", () => {
    expect(
      activity(
        run(queued(), [
          [lease, at(0, 1)],
          [complete, at(0, 3)],
        ]),
      ),
    ).toEqual({ kind: "completed", bucket: bucketOf(2000) });
    expect(
      activity(
        run(queued(), [
          [lease, at(0, 1)],
          [fail(false), at(0, 6)],
        ]),
      ),
    ).toEqual({ kind: "failed", bucket: bucketOf(5000) });
    const lost = run(queued(), [
      [lease, at(0, 1)],
      [{ type: "lose_lease", reason: "quiet" }, at(0, 2)],
      [lease, at(0, 3)],
      [{ type: "lose_lease", reason: "quiet" }, at(0, 10)],
    ]);
    expect(activity(lost)).toEqual({ kind: "failed", bucket: bucketOf(7000) });
  });

  it("cancels and expiries count, from the queue and from a lease alike", () => {
    expect(activity(run(queued(), [[{ type: "cancel" }, at(1)]]))).toEqual({ kind: "canceled", bucket: 0 });
    expect(
      activity(
        run(queued(), [
          [lease, at(0, 1)],
          [{ type: "cancel" }, at(1)],
        ]),
      ),
    ).toEqual({ kind: "canceled", bucket: 0 });
    expect(activity(run(queued(), [[{ type: "expire" }, at(1)]]))).toEqual({ kind: "expired", bucket: 0 });
  });

  it("a job going back to the queue counts nothing", () => {
    expect(
      activity(
        run(queued(), [
          [lease, at(0, 1)],
          [fail(true), at(0, 2)],
        ]),
      ),
    ).toBeNull();
    expect(
      activity(
        run(queued(), [
          [lease, at(0, 1)],
          [{ type: "lose_lease", reason: "quiet" }, at(0, 2)],
        ]),
      ),
    ).toBeNull();
  });
});

describe("minutes", () => {
  it("a moment belongs to the minute it falls in", () => {
    expect(minuteOf(at(3, 59.999))).toBe(at(3));
    expect(minuteOf(at(4))).toBe(at(4));
  });

  it("a window is the given number of minutes, oldest first, ending with the current one", () => {
    expect(windowOf(3, at(10, 30))).toEqual([at(8), at(9), at(10)]);
    expect(windowOf(1, at(10))).toEqual([at(10)]);
  });
});

describe("when the depth is sampled", () => {
  const sample = (t: number, queued = 1, running = 0): DepthSample => ({ at: t, queued, running });

  it("not at all while the shard is idle and its last sample said so", () => {
    expect(nextDepthSampleAt(null, false, at(0))).toBeNull();
    expect(nextDepthSampleAt(sample(at(0, 59), 0, 0), false, at(3))).toBeNull();
  });

  it("at once for a shard that never sampled and now holds jobs", () => {
    expect(nextDepthSampleAt(null, true, at(2, 10))).toBe(at(2, 10));
  });

  it("in the last second of each minute while there are jobs, or until a sample says there are none", () => {
    expect(nextDepthSampleAt(sample(at(2, 10)), true, at(2, 20))).toBe(at(2, 59));
    expect(nextDepthSampleAt(sample(at(2, 59)), true, at(2, 59.5))).toBe(at(3, 59));
    expect(nextDepthSampleAt(sample(at(2, 59), 3, 1), false, at(3))).toBe(at(3, 59));
  });

  it("a sample long overdue is already due (so the alarm runs at once)", () => {
    expect(nextDepthSampleAt(sample(at(0, 59), 0, 0), true, at(30))).toBe(at(1, 59));
  });
});

const count = (minute: number, kind: MinuteCount["kind"], ms: number, n = 1): MinuteCount => ({
  minute: at(minute),
  kind,
  bucket: kind === "canceled" || kind === "expired" ? 0 : bucketOf(ms),
  n,
});

describe("a shard's series", () => {
  const window = windowOf(5, at(4, 30)); // minutes 0..4

  it("puts each count in its minute and leaves minutes outside the window out", () => {
    const activity: ShardActivity = {
      counts: [
        count(-1, "completed", 100, 7),
        count(1, "completed", 2000, 3),
        count(1, "failed", 8000),
        count(1, "canceled", 0, 2),
        count(3, "expired", 0),
        count(3, "wait", 150, 4),
      ],
      samples: [],
      live: { queued: 0, running: 0 },
    };
    const figures = shardFigures(activity, window);
    expect(figures.map((f) => f.minute)).toEqual(window);
    expect(figures.map((f) => [f.completed, f.failed, f.canceled, f.expired])).toEqual([
      [0, 0, 0, 0],
      [3, 1, 2, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    expect(percentile(figures[1]!.run, 0.5)).toBe(bucketValue(bucketOf(2000)));
    expect(percentile(figures[1]!.run, 0.95)).toBe(bucketValue(bucketOf(8000)));
    expect(percentile(figures[1]!.wait, 0.5)).toBeNull();
    expect(percentile(figures[3]!.wait, 0.5)).toBe(bucketValue(bucketOf(150)));
  });

  it("shows the depth of the minute's last sample, carries the last known one over minutes without, and the live one last", () => {
    const activity: ShardActivity = {
      counts: [],
      samples: [
        { at: at(-3, 59), queued: 5, running: 1 },
        { at: at(2, 20), queued: 9, running: 9 },
        { at: at(2, 59), queued: 8, running: 2 },
      ],
      live: { queued: 4, running: 3 },
    };
    expect(shardFigures(activity, window).map((f) => [f.queued, f.running])).toEqual([
      [5, 1],
      [5, 1],
      [8, 2],
      [8, 2],
      [4, 3],
    ]);
  });

  it("starts from 0 without any sample", () => {
    const figures = shardFigures({ counts: [], samples: [], live: { queued: 2, running: 0 } }, window);
    expect(figures.map((f) => f.queued)).toEqual([0, 0, 0, 0, 2]);
  });
});

describe("a region's series", () => {
  it("adds its shards' counts, depths and histograms minute by minute", () => {
    const window = windowOf(2, at(1));
    const a = shardFigures(
      { counts: [count(0, "completed", 1000, 9), count(1, "wait", 10)], samples: [], live: { queued: 1, running: 2 } },
      window,
    );
    const b = shardFigures(
      { counts: [count(0, "completed", 60_000), count(0, "failed", 100)], samples: [], live: { queued: 3, running: 0 } },
      window,
    );
    const [first, second] = mergeFigures([a, b], window);
    expect(first).toMatchObject({ minute: at(0), completed: 10, failed: 1, queued: 0, running: 0 });
    expect(second).toMatchObject({ minute: at(1), completed: 0, queued: 4, running: 2 });
    // 11 run times: 100, nine of 1000, 60 000: the 95th percentile (the 11th) is the slow one.
    expect(percentile(first!.run, 0.5)).toBe(bucketValue(bucketOf(1000)));
    expect(percentile(first!.run, 0.95)).toBe(bucketValue(bucketOf(60_000)));
    expect(percentile(second!.wait, 0.5)).toBe(bucketValue(bucketOf(10)));
  });

  it("of no shards is all zeros", () => {
    const window = windowOf(1, at(0));
    expect(mergeFigures([], window)).toMatchObject([{ completed: 0, queued: 0, running: 0 }]);
  });
});
