// The client CLI (npm run client, cli/main.ts) against a real local coordinator: each command as a
// separate process, a miner driven through the SDK beside it. One server for the file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DevServer, firstKey, ROOT, startDevServer } from "../../scripts/dev-server.mjs";
import { type AssignedJob, CoordinatorClient } from "../../sdk";

const URGENT = "100";

let server: DevServer;
let dir: string;
let clientKey: string;
let minerKey: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run client -- <args>`, with the server and key from the environment unless `env` says otherwise. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, COORDINATOR_URL: server.base, API_KEY: clientKey, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const jobIdIn = (text: string): string => /job ([0-9a-f]{32})/.exec(text)![1]!;

/** A miner that serves only jobs of its model (they are submitted URGENT, ahead of any other). */
async function minerFor(model: string) {
  const sdk = new CoordinatorClient({ baseUrl: server.base, apiKey: minerKey });
  const { miner_id: minerId } = await sdk.miners.register({ miner_id: `cli-${model}`, capabilities: { models: [model] } });
  const on = { minerId };
  return {
    async take(): Promise<AssignedJob> {
      const [job] = await sdk.miners.poll({ max_wait_seconds: 20 }, on);
      if (!job) throw new Error(`no job for ${model}`);
      return job;
    },
    progress: (job: AssignedJob, seq: number, post: { progress?: number; message?: string; output?: string }) =>
      sdk.miners.progress(job.job_id, { lease_id: job.lease_id, seq, ...post }, on),
    complete: (job: AssignedJob, result: Record<string, unknown>) => sdk.miners.result(job.job_id, { result, lease_id: job.lease_id }, on),
    fail: (job: AssignedJob) => sdk.miners.fail(job.job_id, { error_code: "BROKEN", retryable: false, lease_id: job.lease_id }, on),
  };
}

beforeAll(async () => {
  server = await startDevServer();
  clientKey = firstKey(server.vars, "CLIENT_API_KEYS");
  minerKey = firstKey(server.vars, "MINER_API_KEYS");
  dir = mkdtempSync(join(tmpdir(), "client-cli-"));
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`--- dev server output (last 3000 chars) ---\n${server?.output().slice(-3000)}`));
});

describe("client CLI", () => {
  it("submit --wait follows the job to COMPLETED and exits 0", async () => {
    const miner = await minerFor("wait");
    const run = cli(["submit", "--payload", '{"prompt":"hi"}', "--models", "wait", "--priority", URGENT, "--wait"]);
    const job = await miner.take();
    await miner.complete(job, { text: "ok" });
    const { code, stdout, stderr } = await run;
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toContain(`submitted: job ${job.job_id}`);
    expect(stderr).toMatch(/RUNNING \(cli-wait\)/);
    expect(stdout).toContain(`job ${job.job_id}: COMPLETED`);
  });

  it("submit --wait --json prints the final job and exits 5 when it FAILED", async () => {
    const miner = await minerFor("fail");
    const payloadFile = join(dir, "payload.json");
    writeFileSync(payloadFile, '{"from": "a file"}');
    const run = cli([
      "submit",
      "--payload-file",
      payloadFile,
      "--models",
      "fail",
      "--priority",
      URGENT,
      "--max-attempts",
      "1",
      "--wait",
      "--json",
    ]);
    await miner.fail(await miner.take());
    const { code, stdout } = await run;
    expect(code).toBe(5);
    expect(JSON.parse(stdout)).toMatchObject({ state: "FAILED", error: { code: "BROKEN" } });
  });

  it("watch shows progress and prints the output as it arrives, from the job's first event", async () => {
    const miner = await minerFor("watch");
    const submitted = await cli(["submit", "--payload", "{}", "--models", "watch", "--priority", URGENT]);
    const jobId = jobIdIn(submitted.stdout);
    const job = await miner.take();
    expect(job.job_id).toBe(jobId);
    await miner.progress(job, 1, { progress: 0.25, message: "warming up", output: "hello\n" });
    const watching = cli(["watch", jobId]);
    const json = cli(["watch", jobId, "--json"]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await miner.progress(job, 2, { progress: 1, output: "world\n" });
    await miner.complete(job, { done: true });

    const { code, stdout, stderr } = await watching;
    expect(code, stderr).toBe(0);
    expect(stdout).toBe("hello\nworld\n");
    expect(stderr).toContain("progress 25% warming up");
    expect(stderr).toContain("progress 100%");
    expect(stderr).toMatch(/COMPLETED \(cli-watch\)/);
    const lines = (await json).stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((event) => event.type)).toEqual([
      "state.changed",
      "state.changed",
      "job.progress",
      "output.chunk",
      "job.progress",
      "output.chunk",
      "state.changed",
      "result.ready",
    ]);
  });

  it("watch exits 6 for a CANCELED job; cancel, get and list show it", async () => {
    const submitted = await cli(["submit", "--payload", "{}", "--models", "nobody"]);
    const jobId = jobIdIn(submitted.stdout);
    const canceled = await cli(["cancel", jobId]);
    expect(canceled).toMatchObject({ code: 0 });
    expect(canceled.stdout).toContain(`job ${jobId}: CANCELED`);
    expect((await cli(["watch", jobId])).code).toBe(6);
    expect(JSON.parse((await cli(["get", jobId, "--json"])).stdout)).toMatchObject({ job_id: jobId, state: "CANCELED" });
    const listed = await cli(["list", "--state", "CANCELED"]);
    expect(listed.stdout).toMatch(new RegExp(`^${jobId}  CANCELED`, "m"));
  });

  it("result, receipt and verify: a real receipt is VALID (exit 0), a tampered one INVALID (exit 1)", async () => {
    const miner = await minerFor("verify");
    const submitted = await cli(["submit", "--payload", "{}", "--models", "verify", "--priority", URGENT]);
    const job = await miner.take();
    await miner.complete(job, { answer: 42 });
    const jobId = jobIdIn(submitted.stdout);

    const result = await cli(["result", jobId, "--json"]);
    expect(result.code).toBe(0);
    const pair = JSON.parse(result.stdout);
    expect(pair.result).toEqual({ answer: 42 });
    const receipt = await cli(["receipt", jobId]);
    expect(receipt.stdout).toContain(`receipt ${pair.receipt.receipt_id} for job ${jobId}`);

    const pairFile = join(dir, "pair.json");
    writeFileSync(pairFile, result.stdout);
    const valid = await cli(["verify", pairFile], { API_KEY: "" });
    expect(valid).toMatchObject({ code: 0, stdout: "VALID\n" });
    const tamperedFile = join(dir, "tampered.json");
    writeFileSync(tamperedFile, JSON.stringify({ ...pair.receipt, price: pair.receipt.price + 1 }));
    const invalid = await cli(["verify", tamperedFile]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/^INVALID\n {2}- SIGNATURE_INVALID/);
  });

  it("batch submits a file's jobs and exits 1 when one is refused", async () => {
    const file = join(dir, "batch.json");
    writeFileSync(file, JSON.stringify({ jobs: [{ payload: { n: 1 } }, { payload: { n: 2 }, priority: 1000 }] }));
    const { code, stdout } = await cli(["batch", file]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^0: 201 [0-9a-f]{32} QUEUED\n1: 422 INVALID_PAYLOAD: .*priority/);
  });

  it("exit statuses: 2 for usage, 3 for a refusal, 4 when nothing answers", async () => {
    expect((await cli(["submit"])).code).toBe(2);
    expect((await cli(["get", "x"], { COORDINATOR_URL: "" })).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    const missing = await cli(["get", "0".repeat(32)]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: 404 JOB_NOT_FOUND: /);
    expect((await cli(["list"], { API_KEY: "wrong" })).code).toBe(3);
    expect((await cli(["list", "--retries", "0"], { COORDINATOR_URL: "http://127.0.0.1:9" })).code).toBe(4);
  });
});
