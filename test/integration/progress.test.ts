// Progress and streamed output over HTTP: a miner posts progress and output for the job it holds,
// the job's event stream carries them in order with ids, and a client that reconnects with the last
// id it got (Last-Event-ID, or `after` for a WebSocket) misses nothing. Posts never touch D1.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_OUTPUT_CHUNK_BYTES, MAX_PROGRESS_BYTES_PER_JOB } from "../../src/queue/progress";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { progress as progressRoute } from "../../src/routes/miners/miners.routes";
import { call, callRoute, minerCall, pollAs, soloMinerAndJob } from "../helpers/api";
import { openSocket, openStream, type StreamMessage, until } from "../helpers/event-stream";
import { regionByName } from "../helpers/region";

const REGION = "eu-west";

/** A job leased to a miner of its own; `post` sends one progress post for it. */
async function runningJob() {
  const { minerId, jobId } = await soloMinerAndJob(REGION);
  const lease = await pollAs(minerId);
  expect(lease.status).toBe(200);
  const leaseId = lease.body.lease_id as string;
  const post = (body: Record<string, unknown>) =>
    callRoute(progressRoute, {
      key: "miner",
      params: { job_id: jobId },
      headers: { "X-Miner-Id": minerId },
      body: { lease_id: leaseId, ...body },
    });
  const complete = () => minerCall(minerId, `/v1/miners/${jobId}/result`, { result: { ok: true }, lease_id: leaseId });
  return { minerId, jobId, leaseId, post, complete };
}

/** What a stream message says, without its time. */
const said = (m: StreamMessage) =>
  m.type === "output.chunk"
    ? `${m.id} chunk ${m.seq} ${m.data}`
    : m.type === "job.progress"
      ? `${m.id} progress ${m.seq} ${m.progress} ${m.message}`
      : `${m.id} ${m.type} ${m.state}`;

describe("POST /v1/miners/{job_id}/progress", () => {
  it("takes progress and output from the lease holder and answers whether to go on", async () => {
    const { post } = await runningJob();
    const answer = await post({ seq: 0, progress: 0.25, message: "warming up", output: "step 1\n" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok", seq: 0, duplicate: false, canceled: false });
    expect((await post({ seq: 1, progress: 0.5 })).body).toMatchObject({ duplicate: false });
    expect((await post({ seq: 2, output: "step 2\n" })).body).toMatchObject({ duplicate: false });
  });

  it("answers a repeated or older seq 200 duplicate without storing it again", async () => {
    const { jobId, post, complete } = await runningJob();
    await post({ seq: 5, output: "five" });
    expect((await post({ seq: 5, output: "five" })).body).toEqual({ status: "ok", seq: 5, duplicate: true, canceled: false });
    expect((await post({ seq: 3, output: "three" })).body).toMatchObject({ seq: 3, duplicate: true });
    await post({ seq: 6, output: "six" });
    await complete();
    const history = await (await openStream(jobId, { query: "?after=0" })).read();
    expect(history.filter((m) => m.type === "output.chunk").map((m) => m.data)).toEqual(["five", "six"]);
  });

  it("refuses a stale lease with 409 LEASE_LOST, as a result would be", async () => {
    const { post, complete } = await runningJob();
    const stale = await post({ lease_id: "0".repeat(32), seq: 0, output: "x" });
    expect(stale.status).toBe(409);
    expect(stale.error?.code).toBe("LEASE_LOST");
    await complete();
    expect((await post({ seq: 1, output: "late" })).error?.code).toBe("LEASE_LOST");
  });

  it("answers 200 canceled: true once the client canceled the job, and stores nothing", async () => {
    const { jobId, post } = await runningJob();
    await call("POST", `/v1/jobs/${jobId}/cancel`, { key: "client" });
    const answer = await post({ seq: 0, output: "too late" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok", seq: 0, duplicate: false, canceled: true });
    const history = await (await openStream(jobId, { query: "?after=0" })).read();
    expect(history.map((m) => m.type)).not.toContain("output.chunk");
  });

  it("answers 404 for an unknown job and for a miner that is not the key's", async () => {
    const { minerId, leaseId, jobId } = await runningJob();
    const unknown = await callRoute(progressRoute, {
      key: "miner",
      params: { job_id: "f".repeat(32) },
      headers: { "X-Miner-Id": minerId },
      body: { lease_id: leaseId, seq: 0, progress: 0 },
    });
    expect(unknown.error?.code).toBe("JOB_NOT_FOUND");
    const otherKey = await callRoute(progressRoute, {
      key: "miner2",
      params: { job_id: jobId },
      headers: { "X-Miner-Id": minerId },
      body: { lease_id: leaseId, seq: 0, progress: 0 },
    });
    expect(otherKey.status).toBe(404);
  });

  it("refuses bad fields with 422, naming them; output over 64 KiB of UTF-8 included", async () => {
    const { minerId, jobId, post } = await runningJob();
    const fieldsOf = async (body: Record<string, unknown>) => {
      const res = await post(body);
      expect(res.status).toBe(422);
      return res.error?.details?.map((d) => d.field);
    };
    expect(await fieldsOf({ seq: 0 })).toEqual(["(body)"]);
    expect(await fieldsOf({ seq: -1, progress: 0.1 })).toEqual(["seq"]);
    expect(await fieldsOf({ seq: 0.5, progress: 0.1 })).toEqual(["seq"]);
    expect(await fieldsOf({ progress: 0.1 })).toEqual(["seq"]);
    expect(await fieldsOf({ seq: 0, progress: 1.01 })).toEqual(["progress"]);
    expect(await fieldsOf({ seq: 0, message: "é".repeat(513) })).toEqual(["message"]);
    expect(await fieldsOf({ seq: 0, output: "" })).toEqual(["output"]);
    expect(await fieldsOf({ seq: 0, output: "x".repeat(MAX_OUTPUT_CHUNK_BYTES + 1) })).toEqual(["output"]);
    // 2 bytes each in UTF-8: fewer characters than the limit, more bytes.
    expect(await fieldsOf({ seq: 0, output: "é".repeat(MAX_OUTPUT_CHUNK_BYTES / 2 + 1) })).toEqual(["output"]);
    expect(await fieldsOf({ seq: 0, progress: 0.1, extra: 1 })).toEqual(["extra"]);
    const noLease = await callRoute(progressRoute, {
      key: "miner",
      params: { job_id: jobId },
      headers: { "X-Miner-Id": minerId },
      body: { seq: 0, progress: 0.1 },
    });
    expect(noLease.error?.details?.map((d) => d.field)).toEqual(["lease_id"]);
    expect((await post({ seq: 0, output: "x".repeat(MAX_OUTPUT_CHUNK_BYTES) })).status).toBe(200);
    expect((await post({ seq: 1, message: "é".repeat(512), progress: null, output: null })).status).toBe(200);
  });

  it("refuses with 413 on output once the job's posts would store more than 16 MiB", async () => {
    const { minerId, jobId, leaseId, post } = await runningJob();
    const owner = await env.DB.prepare("SELECT owner_id FROM miners WHERE miner_id = ?").bind(minerId).first<{ owner_id: string }>();
    // Fill the job's budget through the region's own door (the same call the route makes), not 256 HTTP posts.
    const region = regionByName(REGION).api as RegionCoordinator;
    const chunk = "x".repeat(MAX_OUTPUT_CHUNK_BYTES);
    let seq = 0;
    for (; seq < MAX_PROGRESS_BYTES_PER_JOB / MAX_OUTPUT_CHUNK_BYTES - 1; seq++) {
      const answer = await region.progress({ minerId, ownerId: owner!.owner_id }, jobId, { leaseId, seq, output: chunk });
      expect(answer.ok).toBe(true);
    }
    const over = await post({ seq, output: chunk });
    expect(over.status).toBe(413);
    expect(over.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: [{ field: "output" }] });
    // A retry of a post already taken is still answered as one: nothing more is stored.
    expect((await post({ seq: seq - 1, output: chunk })).body).toMatchObject({ duplicate: true });
    expect((await post({ seq, progress: 0.99 })).status).toBe(200);
  }, 60_000);

  it("never writes D1: the job's row, its events and the miner's row stay as they were", async () => {
    const { minerId, jobId, post } = await runningJob();
    const d1 = () =>
      Promise.all([
        env.DB.prepare("SELECT version, updated_at FROM jobs WHERE job_id = ?").bind(jobId).first(),
        env.DB.prepare("SELECT COUNT(*) AS n FROM job_events WHERE job_id = ?").bind(jobId).first(),
        env.DB.prepare("SELECT version, last_seen_at FROM miners WHERE miner_id = ?").bind(minerId).first(),
      ]);
    const before = await d1();
    for (let seq = 0; seq < 20; seq++) expect((await post({ seq, progress: seq / 20, output: `line ${seq}\n` })).status).toBe(200);
    expect(await d1()).toEqual(before);
  });
});

describe("progress in the job's event stream", () => {
  it("sends job.progress and output.chunk in order, each with the next id, between the state changes", async () => {
    const { jobId, post, complete } = await runningJob();
    const stream = await openStream(jobId);
    expect((await stream.read(1)).map(said)).toEqual(["2 state.changed RUNNING"]);
    await post({ seq: 0, progress: 0.5, message: "half", output: "a" });
    await post({ seq: 1, output: "b" });
    await post({ seq: 2, progress: 1 });
    await complete();
    const events = await stream.read();
    expect(events.map(said)).toEqual([
      "3 progress 0 0.5 half",
      "4 chunk 0 a",
      "5 chunk 1 b",
      "6 progress 2 1 null",
      "7 state.changed COMPLETED",
      "8 result.ready COMPLETED",
    ]);
    expect(events[0]).toMatchObject({ job_id: jobId, attempt: 1, at: expect.any(String) });
    expect(stream.ended).toBe(true);
  });

  it("resumes an SSE stream after Last-Event-ID: the events missed while away, then live", async () => {
    const { jobId, post, complete } = await runningJob();
    const first = await openStream(jobId);
    await first.read(1);
    await post({ seq: 0, output: "a" });
    const [seen] = await first.read(1);
    await first.cancel();
    await post({ seq: 1, output: "b" });
    await post({ seq: 2, progress: 0.7, output: "c" });
    const again = await openStream(jobId, { query: "?after=0", headers: { "Last-Event-ID": String(seen!.id) } });
    expect((await again.read(3)).map(said)).toEqual(["4 chunk 1 b", "5 progress 2 0.7 null", "6 chunk 2 c"]);
    await post({ seq: 3, output: "d" });
    await complete();
    expect((await again.read()).map(said)).toEqual(["7 chunk 3 d", "8 state.changed COMPLETED", "9 result.ready COMPLETED"]);
  });

  it("resumes a WebSocket after ?after=<id> the same way", async () => {
    const { jobId, post, complete } = await runningJob();
    const first = await openSocket(jobId);
    await until(() => first.messages.length >= 1);
    await post({ seq: 0, output: "a" });
    await until(() => first.messages.length >= 2);
    first.socket!.close(1000);
    await post({ seq: 1, output: "b" });
    const again = await openSocket(jobId, "client", `?after=${first.messages[1]!.id}`);
    expect(again.status).toBe(101);
    await until(() => again.messages.length >= 1);
    await post({ seq: 2, output: "c" });
    await complete();
    expect(await again.closed).toBe(1000);
    expect(again.messages.map(said)).toEqual(["4 chunk 1 b", "5 chunk 2 c", "6 state.changed COMPLETED", "7 result.ready COMPLETED"]);
  });

  it("replays a job's whole history from after=0, its submission first, and ends at once for a final job", async () => {
    const { jobId, post, complete } = await runningJob();
    await post({ seq: 0, output: "a" });
    await complete();
    const history = await (await openStream(jobId, { query: "?after=0" })).read();
    expect(history.map(said)).toEqual([
      "1 state.changed QUEUED",
      "2 state.changed RUNNING",
      "3 chunk 0 a",
      "4 state.changed COMPLETED",
      "5 result.ready COMPLETED",
    ]);
    expect(history[0]).toMatchObject({ event: "submitted" });
    // Without a position: the current state only, labelled with the latest id.
    expect((await (await openStream(jobId)).read()).map(said)).toEqual(["5 state.changed COMPLETED", "5 result.ready COMPLETED"]);
    expect(await (await openStream(jobId, { headers: { "Last-Event-ID": "5" } })).read()).toEqual([]);
  });

  it("refuses a position that is not an event id with 422", async () => {
    const { jobId } = await runningJob();
    const bad = await call("GET", `/v1/jobs/${jobId}/events`, { key: "client", headers: { "Last-Event-ID": "abc" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual([{ field: "last-event-id", issue: expect.any(String) }]);
    expect((await call("GET", `/v1/jobs/${jobId}/events?after=-1`, { key: "client" })).body.error.details[0].field).toBe("after");
  });
});
