// The reference miner for real: `miner/main.ts` processes (Node with tsx, as `npm run miner` runs
// them) against `npm start`'s coordinator (wrangler dev), with clients on the SDK. One coordinator on
// a kept state directory and a fixed port serves the file; the last two tests SIGKILL it and start it
// again, first on the same state (the miner keeps going), then on a fresh one (the miner registers
// again). Each test has keys and a model of its own, so no miner takes another test's jobs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type MinerProcess, spawnMiner } from "../../miner/spawn";
import { type DevServer, startDevServer } from "../../scripts/dev-server.mjs";
import { CoordinatorClient, type JobView } from "../../sdk";

const TESTS = ["complete", "cancel", "drain", "crash"] as const;
type TestName = (typeof TESTS)[number];
const clientKey = (test: TestName) => `miner-e2e-client-${test}`;
const minerKey = (test: TestName, n = 0) => `miner-e2e-miner-${test}-${n}`;
const VARS = {
  HEARTBEAT_INTERVAL_SECONDS: "1",
  // Longer than a restart takes, so the downtime alone does not take the miner's leases.
  HEARTBEAT_TIMEOUT_SECONDS: "15",
  CLIENT_API_KEYS: TESTS.map(clientKey).join(","),
  MINER_API_KEYS: TESTS.flatMap((t) => [minerKey(t, 0), minerKey(t, 1)]).join(","),
};
const FINAL = ["COMPLETED", "FAILED", "CANCELED", "EXPIRED"];

const workDir = mkdtempSync(join(tmpdir(), "edge-coordinator-miner-"));
const kept = { stateDir: join(workDir, "state"), varsFile: join(workDir, ".dev.vars"), vars: VARS };
let server: DevServer;
const miners: MinerProcess[] = [];

beforeAll(async () => {
  server = await startDevServer(kept);
});

afterAll(async () => {
  for (const miner of miners) miner.child.kill("SIGKILL");
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function startMiner(test: TestName, n: number, args: string[]): MinerProcess {
  const miner = spawnMiner(["--url", server.base, "--key", minerKey(test, n), "--id", `${test}-${n}`, "--models", test, ...args]);
  miners.push(miner);
  return miner;
}

const clientOf = (test: TestName) => new CoordinatorClient({ baseUrl: server.base, apiKey: clientKey(test) });

async function submit(test: TestName, payloads: Record<string, unknown>[]): Promise<string[]> {
  const { items } = await clientOf(test).jobs.submitBatch(payloads.map((payload) => ({ payload, constraints: { models: [test] } })));
  return items.map((item) => {
    if (!("job" in item) || !item.job) throw new Error(`submit refused: ${JSON.stringify(item)}`);
    return item.job.job_id;
  });
}

/** The test's jobs once all of `ids` are final (listing once a second: client keys have a rate limit). */
async function finalJobs(test: TestName, ids: string[], timeoutMs = 45_000): Promise<Map<string, JobView>> {
  const deadline = Date.now() + timeoutMs;
  let jobs = new Map<string, JobView>();
  while (Date.now() < deadline) {
    try {
      const page = await clientOf(test).jobs.list({ limit: 100 });
      jobs = new Map(page.items.map((job) => [job.job_id, job]));
      if (ids.every((id) => FINAL.includes(jobs.get(id)?.state ?? ""))) return jobs;
    } catch {
      // the coordinator is restarting
    }
    await sleep(1_000);
  }
  throw new Error(`not final: ${ids.filter((id) => !FINAL.includes(jobs.get(id)?.state ?? "")).join(", ")}`);
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The coordinator's JSON log lines among everything the dev server printed. */
const logLines = (output: string): Record<string, unknown>[] =>
  output.split("\n").flatMap((line) => {
    const start = line.indexOf("{");
    if (start < 0) return [];
    try {
      return [JSON.parse(line.slice(start)) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("completes jobs, several at a time, with results and receipts that verify", async () => {
  const miner = startMiner("complete", 0, ["--concurrency", "3"]);
  const ids = await submit(
    "complete",
    Array.from({ length: 6 }, (_, n) => ({ n })),
  );
  const jobs = await finalJobs("complete", ids);
  expect(ids.map((id) => jobs.get(id)!.state)).toEqual(Array(6).fill("COMPLETED"));
  const client = clientOf("complete");
  const keys = await client.receipts.keys();
  for (const [n, id] of ids.entries()) {
    const document = await client.jobs.result(id);
    expect(document.result).toEqual({ echo: { n } });
    expect((await client.receipts.verify(document, { keys })).valid).toBe(true);
  }
  // The miner sent each lease's traceparent with its result: those requests are spans of the jobs' traces.
  const resultLines = logLines(server.output()).filter((line) => line.msg === "request" && line.route === "/v1/miners/:job_id/result");
  for (const id of ids) expect(resultLines.find((line) => line.job_id === id)?.trace_id).toBe(jobs.get(id)!.trace_id);
  miner.child.kill("SIGTERM");
  expect(await miner.exited).toBe(0);
  expect(miner.output()).toMatch(/drained \| running 0\/3 \| done 6 \| failed 0/);
});

it("stops a cancelled job's command mid-run and frees its slot", async () => {
  const pids = join(workDir, "pids");
  // A payload that asks to be slow writes its pid and waits; any other answers at once.
  const command = `mkdir -p ${pids}; read -r p; case "$p" in *slow*) echo $$ > ${pids}/$JOB_ID; echo started; exec sleep 60;; esac; echo quick`;
  const miner = startMiner("cancel", 0, ["--runner", "shell", "--command", command]);
  const [slow] = await submit("cancel", [{ slow: true }]);
  const pidFile = join(pids, slow!);
  await waitUntil("the command to start", () => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"));
  const pid = Number(readFileSync(pidFile, "utf8"));
  expect(alive(pid)).toBe(true);

  expect((await clientOf("cancel").jobs.cancel(slow!)).state).toBe("CANCELED");
  await waitUntil("the command to be stopped", () => !alive(pid), 10_000);
  await miner.waitFor(/canceled 1/, 5_000);

  // The only slot is free again: the next job runs and completes.
  const [quick] = await submit("cancel", [{ quick: true }]);
  expect((await finalJobs("cancel", [quick!])).get(quick!)!.state).toBe("COMPLETED");
  expect((await clientOf("cancel").jobs.result(quick!)).result).toEqual({ output: "quick\n" });
  miner.child.kill("SIGTERM");
  expect(await miner.exited).toBe(0);
});

it("drains on SIGTERM: finishes what it holds, takes nothing new, exits 0, and loses no job", async () => {
  const first = startMiner("drain", 0, ["--runner", "sleep", "--concurrency", "3"]);
  const early = await submit("drain", [{ seconds: 2 }, { seconds: 2 }]);
  await first.waitFor(/running 2\/3/);
  first.child.kill("SIGTERM");
  await first.waitFor(/draining/);
  const late = await submit(
    "drain",
    Array.from({ length: 4 }, () => ({ seconds: 0.5 })),
  );
  expect(await first.exited).toBe(0);

  // Whatever the first miner took, it finished; a second miner does the rest.
  const second = startMiner("drain", 1, ["--runner", "sleep", "--concurrency", "4"]);
  const jobs = await finalJobs("drain", [...early, ...late]);
  const all = [...early, ...late].map((id) => jobs.get(id)!);
  expect(all.map((job) => [job.state, job.attempts])).toEqual(Array(6).fill(["COMPLETED", 0]));
  expect(early.map((id) => jobs.get(id)!.assigned_miner_id)).toEqual(["drain-0", "drain-0"]);
  expect(all.filter((job) => job.assigned_miner_id === "drain-0").length).toBeLessThanOrEqual(3);
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
});

it("keeps going when the runtime is SIGKILLed and restarted, and registers again when it forgot the miner", async () => {
  const miner = startMiner("crash", 0, ["--runner", "sleep", "--concurrency", "2"]);
  const ids = await submit(
    "crash",
    Array.from({ length: 8 }, () => ({ seconds: 0.5 })),
  );
  await miner.waitFor(/done [2-8]/);
  await server.kill();
  await sleep(500);
  server = await startDevServer({ ...kept, port: server.port });
  const jobs = await finalJobs("crash", ids);
  expect(ids.map((id) => jobs.get(id)!.state)).toEqual(Array(8).fill("COMPLETED"));
  await miner.waitFor(/the coordinator answers again/);

  // A coordinator on fresh state (same keys and port) has never heard of the miner.
  await server.kill();
  server = await startDevServer({ ...kept, stateDir: join(workDir, "fresh-state"), port: server.port });
  const after = await submit("crash", [{ seconds: 0.2 }, { seconds: 0.2 }]);
  const afterJobs = await finalJobs("crash", after);
  expect(after.map((id) => afterJobs.get(id)!.state)).toEqual(["COMPLETED", "COMPLETED"]);
  expect(miner.output()).toMatch(/registered again as crash-0/);
  miner.child.kill("SIGTERM");
  expect(await miner.exited).toBe(0);
}, 240_000); // two starts of the runtime, which take tens of seconds each on a busy machine
