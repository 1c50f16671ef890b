// The SDK (sdk/) against a real local coordinator over HTTP (scripts/dev-server.mjs), with a fault
// injector (fault-proxy.ts) in front of it for the retry and reconnect rules. One server for the file.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DevServer, firstKey, startDevServer } from "../../scripts/dev-server.mjs";
import { DOCUMENT_FILE, documentText, SCHEMA_FILE, schemaText } from "../../scripts/sdk-generate.mjs";
import { ConnectionError, CoordinatorClient, CoordinatorError, type JobEvent, type Receipt } from "../../sdk";
import { FaultProxy } from "./fault-proxy";

const SECRETS_KEY = "5a".repeat(32);
const FAST = { baseDelayMs: 20, maxDelayMs: 200 };
const URGENT = 100;
const JOB_EVENTS = /^\/v1\/jobs\/[0-9a-f]{32}\/events$/;

let server: DevServer;
const proxy = new FaultProxy();
let keys: { client: string; miner: string; admin: string };

/** A client of the coordinator itself, or (through: proxy) of the fault injector in front of it. */
const clientOf = (apiKey: string, through: "direct" | "proxy" = "direct", retry = FAST) =>
  new CoordinatorClient({ baseUrl: through === "proxy" ? proxy.base : server.base, apiKey, retry });

beforeAll(async () => {
  server = await startDevServer({ vars: { SECRETS_ENCRYPTION_KEY_HEX: SECRETS_KEY } });
  keys = {
    client: firstKey(server.vars, "CLIENT_API_KEYS"),
    miner: firstKey(server.vars, "MINER_API_KEYS"),
    admin: firstKey(server.vars, "ADMIN_API_KEYS"),
  };
  await proxy.start(server.base);
});

afterAll(async () => {
  await proxy.stop();
  await server?.stop();
});

beforeEach(({ onTestFailed }) => {
  proxy.reset();
  onTestFailed(() => console.error(`--- dev server output (last 3000 chars) ---\n${server?.output().slice(-3000)}`));
});

/**
 * A miner that takes and completes one job. A job for it is submitted with URGENT priority, so it
 * takes that job ahead of other tests' jobs that any miner fits.
 */
async function minerFor(model: string) {
  const miner = clientOf(keys.miner);
  const { miner_id } = await miner.miners.register({ miner_id: `sdk-${model}`, capabilities: { models: [model] } });
  return {
    miner,
    minerId: miner_id,
    async complete(result: Record<string, unknown>) {
      const [job] = await miner.miners.poll({ max_wait_seconds: 10 }, { minerId: miner_id });
      if (!job) throw new Error("no job for the miner");
      const answer = await miner.miners.result(job.job_id, { result, lease_id: job.lease_id }, { minerId: miner_id });
      return { job, receipt: answer.receipt! };
    },
  };
}

describe("the generated files", () => {
  it("are what the coordinator serves (else: npm run sdk:generate)", async () => {
    const served = await (await fetch(`${server.base}/openapi.json`)).json();
    expect(readFileSync(DOCUMENT_FILE, "utf8")).toBe(documentText(served));
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await schemaText(served));
  });
});

describe("typed calls", () => {
  let completed: { jobId: string; receipt: Receipt };

  it("submit, get, list, result and receipts of a job a miner completes", async () => {
    const client = clientOf(keys.client);
    const worker = await minerFor("typed");
    const { job, replayed, idempotencyKey } = await client.jobs.submit({
      payload: { prompt: "hi" },
      constraints: { models: ["typed"] },
      priority: URGENT,
    });
    expect(job).toMatchObject({ state: "QUEUED", priority: URGENT, constraints: { models: ["typed"] } });
    expect(replayed).toBe(false);
    expect(idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(await client.jobs.get(job.job_id)).toMatchObject({ job_id: job.job_id, state: "QUEUED" });
    expect((await client.jobs.list({ limit: 100 })).items.map((j) => j.job_id)).toContain(job.job_id);
    await expect(client.jobs.result(job.job_id)).rejects.toMatchObject({ status: 425, code: "JOB_NOT_READY" });

    const { receipt } = await worker.complete({ text: "done" });
    expect(receipt.job_id).toBe(job.job_id);
    expect(await client.jobs.wait(job.job_id)).toMatchObject({ state: "COMPLETED", assigned_miner_id: worker.minerId });
    expect(await client.jobs.result(job.job_id)).toEqual({ result: { text: "done" }, receipt });
    expect(await client.jobs.receipt(job.job_id)).toEqual(receipt);
    expect((await client.jobs.receipts(job.job_id)).items).toEqual([receipt]);
    completed = { jobId: job.job_id, receipt };
  });

  it("cancel, twice, and the typed errors that follow", async () => {
    const client = clientOf(keys.client);
    const { job } = await client.jobs.submit({ payload: {}, constraints: { models: ["nobody"] } });
    expect((await client.jobs.cancel(job.job_id)).state).toBe("CANCELED");
    expect((await client.jobs.cancel(job.job_id)).state).toBe("CANCELED");
    const refused = await client.jobs.result(job.job_id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CoordinatorError);
    expect(refused).toMatchObject({ status: 409, code: "CONFLICT_STATE", details: [{ field: "state", issue: "CANCELED" }] });
    expect((refused as CoordinatorError).requestId).toMatch(/^[0-9a-f]{32}$/);

    await expect(client.jobs.get("0".repeat(32))).rejects.toMatchObject({ status: 404, code: "JOB_NOT_FOUND" });
    await expect(client.jobs.submit({ payload: {}, priority: 101 })).rejects.toMatchObject({
      status: 422,
      code: "INVALID_PAYLOAD",
      details: [{ field: "priority" }],
    });
    await expect(clientOf("not-a-key").jobs.list()).rejects.toMatchObject({ status: 401, code: "UNAUTHORIZED_KEY" });
    await expect(clientOf(keys.miner).jobs.list()).rejects.toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("a batch gets a key per job, so sending it again replays the same jobs", async () => {
    const client = clientOf(keys.client);
    const jobs = [{ payload: { n: 1 } }, { payload: { n: 2 }, idempotency_key: "mine-1" }, { payload: { n: 3 }, priority: 500 }];
    const first = await client.jobs.submitBatch(jobs);
    expect(first.items.map((item) => item.status)).toEqual([201, 201, 422]);
    expect(first.idempotencyKeys[1]).toBe("mine-1");
    const again = await client.jobs.submitBatch(jobs.map((job, i) => ({ ...job, idempotency_key: first.idempotencyKeys[i]! })));
    expect(again.items.map((item) => item.status)).toEqual([200, 200, 422]);
    expect(again.items.map((item) => item.job?.job_id)).toEqual(first.items.map((item) => item.job?.job_id));
  });

  it("miner calls: heartbeat, failure and drain", async () => {
    const client = clientOf(keys.client);
    const worker = await minerFor("fails");
    const { job } = await client.jobs.submit({ payload: {}, constraints: { models: ["fails"] }, priority: URGENT, max_attempts: 1 });
    const [leased] = await worker.miner.miners.poll({ max_wait_seconds: 10 }, { minerId: worker.minerId });
    expect(leased).toMatchObject({ job_id: job.job_id, attempt: 1 });
    expect(await worker.miner.miners.heartbeat({ inflight: [job.job_id] }, { minerId: worker.minerId })).toEqual({
      status: "ok",
      cancel: [],
      drain: false,
    });
    expect(
      await worker.miner.miners.fail(job.job_id, { error_code: "OOM", lease_id: leased!.lease_id }, { minerId: worker.minerId }),
    ).toEqual({ status: "ok", state: "FAILED" });
    expect(await worker.miner.miners.drain({ minerId: worker.minerId })).toEqual({ status: "ok", state: "DRAINING" });
    expect(await worker.miner.miners.poll({ max_wait_seconds: 0 }, { minerId: worker.minerId })).toEqual([]);
  });

  it("admin calls", async () => {
    const admin = clientOf(keys.admin);
    const stats = await admin.admin.stats();
    expect(stats.jobs.total).toBeGreaterThan(0);
    const job = await admin.admin.getJob(completed.jobId);
    expect(job.events.map((event) => event.type)).toEqual(["submitted", "leased", "completed"]);
    expect((await admin.admin.listJobs({ state: "COMPLETED" })).items.map((j) => j.job_id)).toContain(completed.jobId);
    expect((await admin.admin.listMiners()).items.map((m) => m.miner_id)).toContain("sdk-typed");
    const reissued = await admin.admin.reissueReceipt(completed.jobId);
    expect(reissued).toMatchObject({ job_id: completed.jobId, units: completed.receipt.units });
    expect(reissued.receipt_id).not.toBe(completed.receipt.receipt_id);

    const history = await admin.admin.statsHistory({ minutes: 2 });
    expect(history.regions.every((region) => region.points.length === 2)).toBe(true);
    expect(history.regions.flatMap((region) => region.points).reduce((n, point) => n + point.completed, 0)).toBeGreaterThan(0);
    const { job: queued } = await clientOf(keys.client).jobs.submit({ payload: {}, constraints: { models: ["nobody-runs-it"] } });
    expect(await admin.admin.cancelJob(queued.job_id)).toMatchObject({ job_id: queued.job_id, state: "CANCELED" });
    const idle = await minerFor("admin-drained");
    expect(await admin.admin.drainMiner(idle.minerId)).toMatchObject({ miner_id: idle.minerId, status: "DRAINING", held_jobs: [] });
    expect((await admin.admin.undrainMiner(idle.minerId)).status).toBe("ONLINE");
    await expect(admin.admin.drainMiner("nobody-registered-this")).rejects.toMatchObject({ status: 404 });

    const created = await admin.admin.createKey({ role: "client", name: "sdk test" });
    expect((await admin.admin.listKeys({ limit: 100 })).items.map((k) => k.key_id)).toContain(created.key_id);
    expect((await clientOf(created.key).jobs.list()).items).toEqual([]);
    expect((await admin.admin.revokeKey(created.key_id)).revoked_at).not.toBeNull();
    await expect(clientOf(created.key).jobs.list()).rejects.toMatchObject({ status: 401 });
  });

  it("signs every request with an HMAC key's secret, repeated reads in one second included", async () => {
    const created = await clientOf(keys.admin).admin.createKey({ role: "client", name: "signed", hmac: true });
    const signed = new CoordinatorClient({ baseUrl: server.base, apiKey: created.key, hmacSecret: created.hmac_secret!, retry: FAST });
    const { job } = await signed.jobs.submit({ payload: { signed: true } });
    const reads = [await signed.jobs.get(job.job_id), await signed.jobs.get(job.job_id)];
    expect(reads.map((read) => read.job_id)).toEqual([job.job_id, job.job_id]);
    await expect(clientOf(created.key).jobs.get(job.job_id)).rejects.toMatchObject({
      status: 401,
      details: [{ field: "x-signature", issue: "SIGNATURE_REQUIRED" }],
    });
  });

  it("verifies a real receipt against the published keys, and refuses a tampered one", async () => {
    const client = clientOf(keys.client);
    const pair = await client.jobs.result(completed.jobId);
    expect(await client.receipts.verify(pair)).toEqual({ valid: true, reasons: [] });
    expect(await client.receipts.verify(completed.receipt)).toEqual({ valid: true, reasons: [] });
    const tampered = await client.receipts.verify({ ...completed.receipt, units: completed.receipt.units + 1 });
    expect(tampered.valid).toBe(false);
    expect(tampered.reasons).toContain("SIGNATURE_INVALID");
    expect((await client.receipts.verify({ ...pair, result: { text: "forged" } })).reasons).toEqual(["RESULT_MISMATCH"]);
    // The coordinator's own verdicts are the same.
    expect(await client.receipts.verifyRemotely({ ...completed.receipt, units: completed.receipt.units + 1 })).toEqual(tampered);
    // Keys the coordinator does not publish are not trusted.
    const untrusted = await client.receipts.verify(completed.receipt, { keys: { coordinator_id: "x", keys: [] } });
    expect(untrusted.reasons).toEqual([`KEY_NOT_TRUSTED: ${completed.receipt.signature.key_id}`, "ATTESTATION_KEY_NOT_TRUSTED: 0"]);
  });
});

describe("retries", () => {
  const unavailable = { kind: "answer", status: 503, body: { error: { code: "INTERNAL", message: "injected" }, request_id: "x" } } as const;

  it("repeats a read after 5xx answers and lost connections", async () => {
    const client = clientOf(keys.client, "proxy");
    proxy.plan("GET", /^\/v1\/jobs\?/, unavailable, 2);
    proxy.plan("GET", /^\/v1\/jobs\?/, { kind: "lose-answer" });
    expect((await client.jobs.list({ limit: 1 })).items).toHaveLength(1);
    expect(proxy.requests("GET", /^\/v1\/jobs\?/).map((r) => r.fault)).toEqual(["answer", "answer", "lose-answer", null]);
  });

  it("waits what a 429's Retry-After asks, for any call", async () => {
    const admin = clientOf(keys.admin, "proxy");
    proxy.plan("POST", /^\/v1\/admin\/keys$/, { kind: "answer", status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    const created = await admin.admin.createKey({ role: "client", name: "after 429" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(created.key).toBeTruthy();
    expect(proxy.requests("POST", /^\/v1\/admin\/keys$/)).toHaveLength(2);
  });

  it("never repeats a call that is not safe to repeat after a 5xx or a lost answer", async () => {
    const admin = clientOf(keys.admin, "proxy");
    proxy.plan("POST", /^\/v1\/admin\/keys$/, unavailable);
    await expect(admin.admin.createKey({ role: "client", name: "once" })).rejects.toMatchObject({ status: 503, code: "INTERNAL" });
    proxy.plan("POST", /^\/v1\/admin\/keys$/, { kind: "lose-answer" });
    await expect(admin.admin.createKey({ role: "client", name: "once" })).rejects.toBeInstanceOf(ConnectionError);
    expect(proxy.requests("POST", /^\/v1\/admin\/keys$/)).toHaveLength(2);
  });

  it("gives up after the retries allowed, with the last error", async () => {
    const client = clientOf(keys.client, "proxy", { ...FAST, retries: 2 } as typeof FAST);
    proxy.plan("GET", /^\/v1\/health$/, unavailable, 3);
    await expect(client.health()).rejects.toMatchObject({ status: 503 });
    expect(proxy.requests("GET", /^\/v1\/health$/)).toHaveLength(3);
  });

  it("repeats a submit whose answer was lost with the same Idempotency-Key, and gets the one job it made", async () => {
    const client = clientOf(keys.client, "proxy");
    proxy.plan("POST", /^\/v1\/jobs$/, { kind: "lose-answer" });
    const { job, replayed, idempotencyKey } = await client.jobs.submit({ payload: { lost: "answer" } });
    expect(replayed).toBe(true);
    const attempts = proxy.requests("POST", /^\/v1\/jobs$/);
    expect(attempts.map((r) => r.headers["idempotency-key"])).toEqual([idempotencyKey, idempotencyKey]);
    const mine = (await clientOf(keys.client).jobs.list({ limit: 100 })).items.filter((j) => j.requested_at === job.requested_at);
    expect(mine.map((j) => j.job_id)).toEqual([job.job_id]);
  });
});

describe("job events", () => {
  it("follow a job to its end, reopening a dropped stream where it broke (Last-Event-ID)", async () => {
    const client = clientOf(keys.client, "proxy");
    const worker = await minerFor("events");
    const { job } = await client.jobs.submit({ payload: {}, constraints: { models: ["events"] }, priority: URGENT });
    proxy.plan("GET", JOB_EVENTS, { kind: "cut-after-first-event" });

    const events: JobEvent[] = [];
    let firstEvent: () => void = () => {};
    const first = new Promise<void>((resolve) => (firstEvent = resolve));
    const followed = (async () => {
      for await (const event of client.jobs.events(job.job_id)) {
        events.push(event);
        firstEvent();
      }
    })();
    await first;
    await worker.complete({ ok: true });
    await followed;

    expect(events.map((e) => (e.type === "state.changed" ? e.state : e.type))).toEqual(["QUEUED", "RUNNING", "COMPLETED", "result.ready"]);
    const opened = proxy.requests("GET", JOB_EVENTS);
    expect(opened.map((r) => r.fault)).toEqual(["cut-after-first-event", null]);
    expect(events[0]!.id).toMatch(/^\d+$/);
    expect(opened[1]!.headers["last-event-id"]).toBe(events[0]!.id);
  });

  it("carry a miner's progress and output; a repeated post is a duplicate; history from 0", async () => {
    const client = clientOf(keys.client);
    const worker = await minerFor("progress");
    const { job } = await client.jobs.submit({ payload: {}, constraints: { models: ["progress"] }, priority: URGENT });
    const [leased] = await worker.miner.miners.poll({ max_wait_seconds: 10 }, { minerId: worker.minerId });
    const post = { lease_id: leased!.lease_id, seq: 1, progress: 0.5, message: "half", output: "line 1\n" };
    expect(await worker.miner.miners.progress(job.job_id, post, { minerId: worker.minerId })).toEqual({
      status: "ok",
      seq: 1,
      duplicate: false,
      canceled: false,
    });
    expect((await worker.miner.miners.progress(job.job_id, post, { minerId: worker.minerId })).duplicate).toBe(true);
    await worker.miner.miners.result(job.job_id, { result: {}, lease_id: leased!.lease_id }, { minerId: worker.minerId });

    const history: JobEvent[] = [];
    for await (const event of client.jobs.events(job.job_id, { lastEventId: "0" })) history.push(event);
    expect(history.map((e) => e.type)).toEqual([
      "state.changed",
      "state.changed",
      "job.progress",
      "output.chunk",
      "state.changed",
      "result.ready",
    ]);
    expect(history.find((e) => e.type === "job.progress")).toMatchObject({ progress: 0.5, message: "half", seq: 1 });
    expect(history.find((e) => e.type === "output.chunk")).toMatchObject({ data: "line 1\n" });
    expect(history.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("end at once for a job that is already final", async () => {
    const client = clientOf(keys.client);
    const { job } = await client.jobs.submit({ payload: {} });
    await client.jobs.cancel(job.job_id);
    const events: JobEvent[] = [];
    for await (const event of client.jobs.events(job.job_id)) events.push(event);
    expect(events).toMatchObject([{ type: "state.changed", state: "CANCELED" }]);
  });
});
