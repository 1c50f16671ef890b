// The runners for real: timers, and `sh` processes for the shell runner.
import { describe, expect, it } from "vitest";
import { echoRunner } from "../../miner/runners/echo";
import { JobFailure, type RunContext, type RunnerJob } from "../../miner/runners/runner";
import { shellRunner } from "../../miner/runners/shell";
import { sleepRunner } from "../../miner/runners/sleep";

const job = (payload: Record<string, unknown>): RunnerJob => ({ job_id: "0123456789abcdef0123456789abcdef", attempt: 2, payload });

function context(signal = new AbortController().signal) {
  const progress: [number, string | undefined][] = [];
  let output = "";
  const ctx: RunContext = { signal, progress: (f, m) => progress.push([f, m]), output: (t) => (output += t) };
  return { ctx, progress, output: () => output };
}

async function failureOf(run: Promise<unknown>): Promise<JobFailure> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobFailure);
  return error as JobFailure;
}

describe("echo runner", () => {
  it("answers the payload", async () => {
    expect(await echoRunner(job({ a: [1, "b"] }), context().ctx)).toEqual({ result: { echo: { a: [1, "b"] } } });
  });
});

describe("sleep runner", () => {
  it("waits the payload's seconds, reporting progress up to 1, and bills them", async () => {
    const { ctx, progress } = context();
    const started = Date.now();
    expect(await sleepRunner(job({ seconds: 0.3 }), ctx)).toEqual({ result: { slept_seconds: 0.3 }, units: 0.3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(progress.map(([f]) => f)).toEqual([1 / 3, 2 / 3, 1]);
    expect(progress.at(-1)![1]).toBe("0.3 of 0.3 s");
  });

  it("fails with the payload's code when asked to", async () => {
    const failure = await failureOf(sleepRunner(job({ seconds: 0, fail: "OUT_OF_MEMORY", retryable: true }), context().ctx));
    expect(failure).toMatchObject({ code: "OUT_OF_MEMORY", retryable: true });
  });

  it.each([{ seconds: -1 }, { seconds: "1" }, { seconds: 1e9 }, { fail: "not a code" }])(
    "refuses payload %j (not retryable)",
    async (payload) => {
      expect(await failureOf(sleepRunner(job(payload), context().ctx))).toMatchObject({ code: "BAD_PAYLOAD", retryable: false });
    },
  );

  it("stops when aborted", async () => {
    const abort = new AbortController();
    const run = sleepRunner(job({ seconds: 10 }), context(abort.signal).ctx);
    setTimeout(() => abort.abort("canceled"), 50);
    await expect(run).rejects.toThrow();
  });
});

describe("shell runner", () => {
  it("gives the command the payload on stdin and the job in its environment, and streams its stdout", async () => {
    const { ctx, output } = context();
    const run = shellRunner('read -r line; echo "$JOB_ID $JOB_ATTEMPT"; sleep 0.1; echo "$line"', 5)(job({ n: 1 }), ctx);
    expect(await run).toEqual({ result: { output: `0123456789abcdef0123456789abcdef 2\n{"n":1}\n` } });
    expect(output()).toBe(`0123456789abcdef0123456789abcdef 2\n{"n":1}\n`);
  });

  it("answers stdout that is a JSON object as the result itself", async () => {
    expect(await shellRunner(`echo '{"tokens": 3}'`, 5)(job({}), context().ctx)).toEqual({ result: { tokens: 3 } });
  });

  it.each([
    ["echo oops >&2; exit 3", { code: "COMMAND_FAILED", retryable: false, message: "exited with 3: oops" }],
    ["exit 75", { code: "COMMAND_TEMPFAIL", retryable: true }],
    ["kill -9 $$", { code: "COMMAND_KILLED", retryable: true, message: "killed by SIGKILL" }],
  ])("fails `%s` with a code", async (command, expected) => {
    expect(await failureOf(shellRunner(command, 5)(job({}), context().ctx))).toMatchObject(expected);
  });

  it("stops a command that runs past its time limit, with what it started", async () => {
    const started = Date.now();
    const failure = await failureOf(shellRunner("sleep 30 & sleep 30", 0.2)(job({}), context().ctx));
    expect(failure).toMatchObject({ code: "COMMAND_TIMEOUT", retryable: false });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("stops the command when aborted, and rejects with the abort's reason", async () => {
    const abort = new AbortController();
    const run = shellRunner("echo started; sleep 30", 60)(job({}), context(abort.signal).ctx);
    setTimeout(() => abort.abort("canceled"), 100);
    await expect(run).rejects.toBe("canceled");
  });
});
