import { describe, expect, it } from "vitest";
import { Backoff } from "../../miner/backoff";
import { Pacer, type ProgressAnswer, ProgressReporter, type ProgressUpdate, splitChunk } from "../../miner/progress-reporter";

const OK: ProgressAnswer = { kind: "ok", canceled: false };
const quickBackoff = () => new Backoff({ baseMs: 1, maxMs: 2 });

/** A reporter whose sends are recorded and answered by `answer` (OK unless it says otherwise). */
function reporter(answer: (update: ProgressUpdate, call: number) => ProgressAnswer | Promise<ProgressAnswer> = () => OK, settings = {}) {
  const sent: ProgressUpdate[] = [];
  const stops: string[] = [];
  const progress = new ProgressReporter(
    async (update) => {
      sent.push(structuredClone(update));
      return answer(update, sent.length);
    },
    { onStop: (why) => stops.push(why), batchMs: 5, backoff: quickBackoff(), pacer: new Pacer(0), ...settings },
  );
  return { progress, sent, stops };
}

describe("splitChunk", () => {
  it("cuts at most maxBytes of UTF-8, never inside a character", () => {
    expect(splitChunk("abcdef", 4)).toEqual(["abcd", "ef"]);
    expect(splitChunk("abc", 4)).toEqual(["abc", ""]);
    // "é" is 2 bytes, "😀" 4: a cut that would split one moves before it.
    expect(splitChunk("aé", 2)).toEqual(["a", "é"]);
    expect(splitChunk("ab😀c", 5)).toEqual(["ab", "😀c"]);
    expect(splitChunk("ab😀c", 6)).toEqual(["ab😀", "c"]);
  });
});

describe("ProgressReporter", () => {
  it("batches updates that come close together into one, numbered from 1", async () => {
    const { progress, sent } = reporter();
    progress.progress(0.25, "a quarter");
    progress.output("hello ");
    progress.output("world");
    await progress.finish();
    expect(sent).toEqual([{ seq: 1, progress: 0.25, message: "a quarter", output: "hello world" }]);
  });

  it("sends updates in order, one at a time, with increasing numbers, and only what changed", async () => {
    let inFlight = 0;
    let most = 0;
    const { progress, sent } = reporter(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return OK;
    });
    for (let i = 1; i <= 5; i++) {
      progress.progress(i / 5, "working");
      progress.output(`line ${i}\n`);
      await new Promise((r) => setTimeout(r, 8));
    }
    await progress.finish();
    expect(most).toBe(1);
    expect(sent.map((u) => u.seq)).toEqual(sent.map((_, i) => i + 1));
    expect(sent.map((u) => u.output ?? "").join("")).toBe("line 1\nline 2\nline 3\nline 4\nline 5\n");
    expect(sent.at(-1)!.progress).toBe(1);
    expect(sent.filter((u) => u.message !== undefined)).toHaveLength(1);
  });

  it("retries a failed send with the same number and body", async () => {
    const { progress, sent } = reporter((_, call) => (call < 3 ? { kind: "retry" } : OK));
    progress.output("once");
    await progress.finish();
    expect(sent).toEqual([
      { seq: 1, output: "once" },
      { seq: 1, output: "once" },
      { seq: 1, output: "once" },
    ]);
  });

  it("splits output into chunks of at most maxChunkBytes", async () => {
    const { progress, sent } = reporter(undefined, { maxChunkBytes: 10 });
    progress.output("x".repeat(25));
    await progress.finish();
    expect(sent.map((u) => u.output)).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    expect(sent.map((u) => u.seq)).toEqual([1, 2, 3]);
  });

  it("stops and says so when an answer reports the job cancelled, or no longer the miner's", async () => {
    for (const [answer, why] of [
      [{ kind: "ok", canceled: true }, "canceled"],
      [{ kind: "gone" }, "gone"],
    ] as const) {
      const { progress, sent, stops } = reporter(() => answer, { maxChunkBytes: 4 });
      progress.output("12345678");
      await progress.finish();
      progress.output("more");
      await progress.finish();
      expect(sent).toHaveLength(1);
      expect(stops).toEqual([why]);
    }
  });

  it("goes quiet, without stopping the job, when the coordinator refuses updates (no progress route, limit reached)", async () => {
    const { progress, sent, stops } = reporter(() => ({ kind: "refused" }));
    progress.output("a");
    await progress.finish();
    progress.output("b");
    await progress.finish();
    expect(sent).toHaveLength(1);
    expect(stops).toEqual([]);
  });

  it("drops the oldest output beyond maxPendingBytes while it cannot send, and says how much", async () => {
    let open = false;
    const { progress, sent } = reporter(() => (open ? OK : { kind: "retry", afterMs: 2 }), { maxPendingBytes: 10 });
    progress.output("0123456789");
    await new Promise((r) => setTimeout(r, 20)); // the first update (all 10 bytes) is being retried
    progress.output("abcdefghijKLMNO");
    open = true;
    await progress.finish();
    const delivered = sent.filter((u, i) => sent.findIndex((v) => v.seq === u.seq) === i);
    expect(delivered.map((u) => u.output)).toEqual([
      "0123456789",
      "[5 bytes of output dropped while the coordinator was unreachable]\nfghijKLMNO",
    ]);
  });

  it("spaces the posts of all reporters that share a pacer", async () => {
    const pacer = new Pacer(40);
    const times: number[] = [];
    const reporters = [1, 2, 3].map(
      () =>
        new ProgressReporter(
          async () => {
            times.push(Date.now());
            return OK;
          },
          { onStop: () => {}, batchMs: 0, pacer },
        ),
    );
    for (const r of reporters) r.output("x");
    await Promise.all(reporters.map((r) => r.finish()));
    // Turns are spaced from when each was due, so a late timer shortens one gap but never the sum.
    expect(times).toHaveLength(3);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(78);
  });

  it("sends nothing more once abandoned", async () => {
    const { progress, sent } = reporter();
    progress.output("never");
    progress.abandon();
    await progress.finish();
    expect(sent).toEqual([]);
  });
});
