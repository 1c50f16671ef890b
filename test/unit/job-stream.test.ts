import { describe, expect, it } from "vitest";
import type { JobState } from "../../src/model/job";
import { closeReplyCode, currentStateEntries, sseFrame, stateMessages, storedEntry, streamEntry } from "../../src/queue/job-stream";

describe("closeReplyCode", () => {
  it("echoes codes a close frame may carry", () => {
    for (const code of [1000, 3000, 4000, 4999]) expect(closeReplyCode(code)).toBe(code);
  });

  it("answers 1000 for codes that only describe a close or that close() refuses", () => {
    for (const code of [1001, 1005, 1006, 1011, 1015, 2999, 5000, 0]) expect(closeReplyCode(code)).toBe(1000);
  });
});

describe("stream entries", () => {
  const at = Date.UTC(2030, 0, 1);

  it("put the id first in the JSON and on the SSE id line", () => {
    const [entry] = stateMessages("j1", "RUNNING", at, { type: "leased", minerId: "m1" }).map((m) => streamEntry("j1", 7, m));
    expect(JSON.parse(entry!.text)).toEqual({
      id: 7,
      type: "state.changed",
      job_id: "j1",
      state: "RUNNING",
      at: "2030-01-01T00:00:00.000Z",
      event: "leased",
      miner_id: "m1",
    });
    expect(new TextDecoder().decode(sseFrame(entry!))).toBe(`id: 7\nevent: state.changed\ndata: ${entry!.text}\n\n`);
    const forgotten = currentStateEntries("j1", "FAILED", at, null)[0]!;
    expect(new TextDecoder().decode(sseFrame(forgotten))).toBe(`event: state.changed\ndata: ${forgotten.text}\n\n`);
    expect(JSON.parse(forgotten.text)).not.toHaveProperty("id");
  });

  it("end the stream with the last message of a final state, also when read back from storage", () => {
    const ends = (state: JobState) => stateMessages("j1", state, at).map((m) => streamEntry("j1", 1, m).ends);
    expect(ends("RUNNING")).toEqual([false]);
    expect(ends("COMPLETED")).toEqual([false, true]);
    for (const state of ["FAILED", "CANCELED", "EXPIRED"] as const) expect(ends(state)).toEqual([true]);
    for (const state of ["QUEUED", "COMPLETED", "CANCELED"] as const) {
      for (const entry of stateMessages("j1", state, at).map((m) => streamEntry("j1", 3, m))) {
        expect(storedEntry("j1", 3, entry.type, entry.text)).toEqual(entry);
      }
    }
  });

  it("label the current state with the latest id", () => {
    expect(currentStateEntries("j1", "COMPLETED", at, 9).map((e) => [e.id, e.type])).toEqual([
      [9, "state.changed"],
      [9, "result.ready"],
    ]);
  });
});
