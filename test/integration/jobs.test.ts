import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";

async function runToCompletion(region: string) {
  const minerId = uniqueName("m");
  await registerMiner(minerId, { region });
  const job = await submit({ payload: { n: 1 }, constraints: { region } });
  const lease = await pollAs(minerId);
  await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: { ok: true }, lease_id: lease.body.lease_id });
  return job.body.job_id as string;
}

describe("submit", () => {
  it("answers 201 with a JobView and writes the job to D1", async () => {
    const res = await submit({ payload: { prompt: "x" }, priority: 5, ttl_seconds: 60, max_attempts: 2, constraints: { gpu: "A100" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      state: "QUEUED",
      priority: 5,
      region: "local",
      constraints: { gpu: "A100" },
      assigned_miner_id: null,
      attempts: 0,
      max_attempts: 2,
      requested_at: expect.stringMatching(/Z$/),
      started_at: null,
      completed_at: null,
      expires_at: expect.stringMatching(/Z$/),
      error: null,
      queued_region: "local",
      queued_shard: 0,
      ran_region: null,
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.requested_at)).toBe(60_000);
    const row = await env.DB.prepare("SELECT state, payload FROM jobs WHERE job_id = ?")
      .bind(res.body.job_id)
      .first<{ state: string; payload: string }>();
    expect(row).toEqual({ state: "QUEUED", payload: JSON.stringify({ prompt: "x" }) });
    const events = await env.DB.prepare("SELECT type FROM job_events WHERE job_id = ?").bind(res.body.job_id).all();
    expect(events.results).toEqual([{ type: "submitted" }]);
  });

  it("applies the defaults: ttl JOB_TTL_SECONDS, priority 0, max_attempts 3", async () => {
    const res = await submit({ payload: {}, constraints: null, priority: null });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ priority: 0, max_attempts: 3, constraints: {} });
    expect(Date.parse(res.body.expires_at) - Date.parse(res.body.requested_at)).toBe(900_000);
  });

  it("replays a submit with the same Idempotency-Key and body as the same job", async () => {
    const key = uniqueName("idem");
    const first = await submit({ payload: { a: 1 } }, "client", { "Idempotency-Key": key });
    const second = await submit({ payload: { a: 1 } }, "client", { "Idempotency-Key": key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.job_id).toBe(first.body.job_id);
    const n = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_records WHERE idempotency_key = ?")
      .bind(key)
      .first<{ n: number }>();
    expect(n!.n).toBe(1);
  });

  it("creates one job when two submits race with one Idempotency-Key", async () => {
    const key = uniqueName("race");
    const answers = await Promise.all([1, 2, 3].map(() => submit({ payload: { r: 1 } }, "client", { "Idempotency-Key": key })));
    expect(new Set(answers.map((a) => a.body.job_id)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  });

  it("refuses an Idempotency-Key reused with a different body (422)", async () => {
    const key = uniqueName("idem");
    await submit({ payload: { a: 1 } }, "client", { "Idempotency-Key": key });
    const res = await submit({ payload: { a: 2 } }, "client", { "Idempotency-Key": key });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("keeps idempotency keys per client", async () => {
    const key = uniqueName("idem");
    const a = await submit({ payload: { a: 1 } }, "client", { "Idempotency-Key": key });
    const b = await submit({ payload: { a: 1 } }, "client2", { "Idempotency-Key": key });
    expect(b.status).toBe(201);
    expect(b.body.job_id).not.toBe(a.body.job_id);
  });
});

describe("batch submit", () => {
  it("answers one item per job, in order, with per-job errors", async () => {
    const key = uniqueName("b");
    const res = await call("POST", "/v1/jobs/batch", {
      key: "client",
      body: {
        jobs: [
          { payload: { i: 0 } },
          { payload: 7 },
          { payload: { i: 2 }, idempotency_key: key },
          { payload: { i: 3 }, idempotency_key: key },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { status: number }) => i.status)).toEqual([201, 422, 201, 422]);
    expect(res.body.items[1].error.details[0].field).toBe("payload");
    expect(res.body.items[3].error.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("keeps the single submit's rules: one job for a key sent twice, a replay of a key used before, an unknown region refused", async () => {
    const twice = uniqueName("b");
    const before = uniqueName("b");
    const single = await call("POST", "/v1/jobs", { key: "client", body: { payload: { i: 9 } }, headers: { "Idempotency-Key": before } });
    const res = await call("POST", "/v1/jobs/batch", {
      key: "client",
      body: {
        jobs: [
          { payload: { i: 0 }, idempotency_key: twice },
          { payload: { i: 1 }, constraints: { region: "atlantis" } },
          { payload: { i: 0 }, idempotency_key: twice },
          { payload: { i: 9 }, idempotency_key: before },
        ],
      },
    });
    expect(res.body.items.map((i: { status: number }) => i.status)).toEqual([201, 422, 200, 200]);
    expect(res.body.items[1].error.details[0].field).toBe("constraints.region");
    expect(res.body.items[2].job.job_id).toBe(res.body.items[0].job.job_id);
    expect(res.body.items[3].job.job_id).toBe(single.body.job_id);
  });

  it("lets the client read every job of a batch as soon as it is answered", async () => {
    const res = await call("POST", "/v1/jobs/batch", {
      key: "client",
      body: { jobs: Array.from({ length: 100 }, (_, i) => ({ payload: { i } })) },
    });
    const reads = await Promise.all(
      res.body.items.map((i: { job: { job_id: string } }) => call("GET", `/v1/jobs/${i.job.job_id}`, { key: "client" })),
    );
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
  });

  it("refuses an empty or oversized envelope with 422", async () => {
    expect((await call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: [] } })).status).toBe(422);
    const many = Array.from({ length: 101 }, () => ({ payload: {} }));
    expect((await call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: many } })).status).toBe(422);
  });
});

describe("reading jobs", () => {
  it("answers 404 for another client's job", async () => {
    const job = await submit({ payload: {} });
    const res = await call("GET", `/v1/jobs/${job.body.job_id}`, { key: "client2" });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("JOB_NOT_FOUND");
    expect((await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client2" })).status).toBe(404);
  });

  it("lists only the caller's jobs, newest first, with a cursor that walks every page once", async () => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await submit({ payload: { i } }, "client2")).body.job_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call("GET", `/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: "client2" });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((j: { job_id: string }) => j.job_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen.slice(0, 5)).toEqual([...mine].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("filters the list by state", async () => {
    const job = await submit({ payload: {} }, "client2");
    await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client2" });
    const res = await call("GET", "/v1/jobs?state=CANCELED", { key: "client2" });
    expect(res.body.items.map((j: { job_id: string }) => j.job_id)).toContain(job.body.job_id);
    expect(res.body.items.every((j: { state: string }) => j.state === "CANCELED")).toBe(true);
  });

  it("refuses a bad limit, state or cursor with 422", async () => {
    for (const q of ["limit=0", "limit=101", "state=DONE", "cursor=garbage"]) {
      const res = await call("GET", `/v1/jobs?${q}`, { key: "client" });
      expect(res.status, q).toBe(422);
    }
    const tampered = await call("GET", "/v1/jobs?cursor=garbage", { key: "client" });
    expect(tampered.body.error).toEqual({
      code: "INVALID_PAYLOAD",
      message: "invalid cursor",
      details: [{ field: "cursor", issue: "not a cursor this endpoint issued" }],
    });
  });
});

describe("result, cancel and receipts", () => {
  it("answers /result with 425 while QUEUED and 409 with the state once CANCELED", async () => {
    const job = await submit({ payload: {} });
    const early = await call("GET", `/v1/jobs/${job.body.job_id}/result`, { key: "client" });
    expect(early.status).toBe(425);
    expect(early.body.error.code).toBe("JOB_NOT_READY");
    const canceled = await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" });
    expect(canceled.status).toBe(200);
    expect(canceled.body.state).toBe("CANCELED");
    const late = await call("GET", `/v1/jobs/${job.body.job_id}/result`, { key: "client" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("CONFLICT_STATE");
    expect(late.body.error.details).toContainEqual({ field: "state", issue: "CANCELED" });
  });

  it("cancels harmlessly twice and refuses to cancel a COMPLETED job (409)", async () => {
    const job = await submit({ payload: {} });
    expect((await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" })).status).toBe(200);
    expect((await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" })).body.state).toBe("CANCELED");
    const done = await runToCompletion("us-east");
    const res = await call("POST", `/v1/jobs/${done}/cancel`, { key: "client" });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONFLICT_STATE");
  });

  it("answers receipt endpoints with 404 RECEIPT_NOT_FOUND until a receipt exists", async () => {
    const job = await submit({ payload: {} });
    for (const path of ["receipt", "receipts"]) {
      const res = await call("GET", `/v1/jobs/${job.body.job_id}/${path}`, { key: "client" });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("RECEIPT_NOT_FOUND");
    }
  });

  it("serves the latest receipt and the receipt history of a completed job", async () => {
    const jobId = await runToCompletion("us-east");
    const latest = await call("GET", `/v1/jobs/${jobId}/receipt`, { key: "client" });
    expect(latest.status).toBe(200);
    expect(latest.body.job_id).toBe(jobId);
    const all = await call("GET", `/v1/jobs/${jobId}/receipts`, { key: "client" });
    expect(all.body).toEqual({ items: [latest.body], next_cursor: null });
  });
});
