import { describe, expect, it } from "vitest";
import { logger } from "../../src/lib/log";
import type { AssignedJob } from "../../src/model/job";
import { refuse, success } from "../../src/queue/outcome";
import { type ParkedPoll, ParkedPolls } from "../../src/queue/parked-polls";
import { captureConsole } from "../helpers/warnings";

const call = (minerId: string) => ({ minerId, ownerId: `owner-${minerId}` });
const job = (jobId: string) => ({ job_id: jobId }) as AssignedJob;
const LONG_WAIT = 60_000;

describe("parked polls", () => {
  it("serves polls in the order they parked while work is offerable, and keeps the rest parked", async () => {
    const parked = new ParkedPolls(logger("warn"), "us-east/0");
    const first = parked.park(call("m1"), 1, LONG_WAIT);
    const second = parked.park(call("m2"), 2, LONG_WAIT);
    const third = parked.park(call("m3"), 1, LONG_WAIT);
    const offered: string[] = [];
    let jobsLeft = 2;
    parked.serve(
      () => jobsLeft > 0,
      (poll: ParkedPoll) => {
        offered.push(`${poll.call.minerId}:${poll.maxJobs}`);
        jobsLeft -= 1;
        return success([job(`job-${jobsLeft}`)]);
      },
    );
    expect(offered).toEqual(["m1:1", "m2:2"]);
    await expect(first).resolves.toEqual(success([job("job-1")]));
    await expect(second).resolves.toEqual(success([job("job-0")]));
    expect(parked.minerIds()).toEqual(["m3"]);
    parked.release("m3");
    await expect(third).resolves.toEqual(success([]));
    expect(parked.size).toBe(0);
  });

  it("answers a refusal at once and leaves a poll that got nothing parked", async () => {
    const parked = new ParkedPolls(logger("warn"), undefined);
    const refused = parked.park(call("m1"), 1, LONG_WAIT);
    parked.park(call("m2"), 1, LONG_WAIT);
    parked.serve(
      () => true,
      (poll) => (poll.call.minerId === "m1" ? refuse("MINER_NOT_FOUND", "gone") : success([])),
    );
    await expect(refused).resolves.toEqual(refuse("MINER_NOT_FOUND", "gone"));
    expect(parked.minerIds()).toEqual(["m2"]);
    parked.release("m2");
  });

  it("answers a poll whose lease threw with nothing, logs why, and serves the next one", async () => {
    const warnings = captureConsole("warn");
    const parked = new ParkedPolls(logger("warn"), "us-east/0");
    const broken = parked.park(call("m1"), 1, LONG_WAIT);
    const next = parked.park(call("m2"), 1, LONG_WAIT);
    parked.serve(
      () => true,
      (poll) => {
        if (poll.call.minerId === "m1") throw new Error("injected");
        return success([job("j")]);
      },
    );
    await expect(broken).resolves.toEqual(success([]));
    await expect(next).resolves.toEqual(success([job("j")]));
    expect(warnings.map((l) => JSON.parse(l))).toEqual([
      { level: "warn", msg: "parked poll not served", shard: "us-east/0", miner_id: "m1", error: "Error: injected" },
    ]);
  });

  it("answers a miner's earlier poll with nothing when it parks another, and a poll whose wait ends", async () => {
    const parked = new ParkedPolls(logger("warn"), undefined);
    const earlier = parked.park(call("m1"), 1, LONG_WAIT);
    const later = parked.park(call("m1"), 3, 5);
    await expect(earlier).resolves.toEqual(success([]));
    expect(parked.polls().map((p) => p.maxJobs)).toEqual([3]);
    await expect(later).resolves.toEqual(success([]));
    expect(parked.size).toBe(0);
  });
});
