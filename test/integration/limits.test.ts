// Every limit on the wire is refused with the one error shape before any storage is written.
import { describe, expect, it } from "vitest";
import { call, registerMiner, uniqueName } from "../helpers/api";
import { expectRefused, json } from "../helpers/refusals";

/** {a: {a: ... {leaf: 1}}} with `levels` objects in all, counting the outermost. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** The documented limit (docs/security.md), written out so that changing the code's constant fails here. */
const MAX_JSON_DEPTH = 32;

describe("JSON nesting depth", () => {
  it(`accepts a payload nested ${MAX_JSON_DEPTH} levels deep`, async () => {
    const res = await call("POST", "/v1/jobs", { key: "client", body: { payload: nested(MAX_JSON_DEPTH) } });
    expect(res.status).toBe(201);
  });

  it(`accepts a payload nested ${MAX_JSON_DEPTH} levels deep in a batch too`, async () => {
    const res = await call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: [{ payload: nested(MAX_JSON_DEPTH) }] } });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([{ status: 201, job: expect.objectContaining({ state: "QUEUED" }) }]);
  });

  it(`refuses a payload nested ${MAX_JSON_DEPTH + 1} levels deep with 422 naming payload`, async () => {
    await expectRefused(
      () =>
        call("POST", "/v1/jobs", {
          key: "client",
          body: { payload: nested(MAX_JSON_DEPTH + 1) },
          headers: { "Idempotency-Key": uniqueName("deep") },
        }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "payload", issue: `nests deeper than ${MAX_JSON_DEPTH} levels` }],
    );
  });

  it("refuses 100 000 levels of arrays without overflowing anything", async () => {
    const raw = `{"payload":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
    await expectRefused(() => call("POST", "/v1/jobs", { key: "client", rawBody: raw, headers: json }), 422, "INVALID_PAYLOAD", [
      { field: "payload" },
    ]);
  });

  it("refuses deep miner capabilities, heartbeat metadata and results, and deep jobs in a batch", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const deep = nested(MAX_JSON_DEPTH + 1);
    await expectRefused(
      () => call("POST", "/v1/miners/register", { key: "miner", body: { miner_id: uniqueName("m"), capabilities: { extra: deep } } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "capabilities" }],
    );
    await expectRefused(
      () => call("POST", "/v1/miners/heartbeat", { key: "miner", body: { metadata: deep }, headers: { "X-Miner-Id": minerId } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "metadata" }],
    );
    await expectRefused(
      () =>
        call("POST", `/v1/miners/${"a".repeat(32)}/result`, { key: "miner", body: { result: deep }, headers: { "X-Miner-Id": minerId } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "result" }],
    );
    await expectRefused(
      () => call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: [{ payload: {} }, { payload: nested(MAX_JSON_DEPTH + 1) }] } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "jobs.1", issue: `nests deeper than ${MAX_JSON_DEPTH + 1} levels` }],
    );
  });
});

describe("values JSON cannot carry back", () => {
  it("refuses a number that overflows to infinity (1e400) instead of failing to hash it", async () => {
    await expectRefused(
      () => call("POST", "/v1/jobs", { key: "client", rawBody: '{"payload":{"x":1e400}}', headers: json }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "payload", issue: "holds a number too large for JSON" }],
    );
  });

  it("refuses a lone surrogate in a constraint (hashed for Idempotency-Key) instead of failing to hash it", async () => {
    await expectRefused(
      () =>
        call("POST", "/v1/jobs", {
          key: "client",
          rawBody: '{"payload":{},"constraints":{"gpu":"\\ud83d"}}',
          headers: { ...json, "Idempotency-Key": uniqueName("surrogate") },
        }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "constraints.gpu", issue: "is not well-formed Unicode (a lone surrogate)" }],
    );
  });

  it("refuses a lone surrogate in metrics.unit_type (signed into the receipt) and leaves the job running", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "eu-west" });
    const job = await call("POST", "/v1/jobs", { key: "client", body: { payload: {}, constraints: { region: "eu-west" } } });
    const lease = await call("POST", "/v1/miners/poll", {
      key: "miner",
      body: { max_wait_seconds: 0 },
      headers: { "X-Miner-Id": minerId },
    });
    expect(lease.body.job_id).toBe(job.body.job_id);
    const raw = `{"result":{"ok":true},"lease_id":"${lease.body.lease_id}","metrics":{"units":1,"unit_type":"\\udc00"}}`;
    await expectRefused(
      () =>
        call("POST", `/v1/miners/${job.body.job_id}/result`, { key: "miner", rawBody: raw, headers: { ...json, "X-Miner-Id": minerId } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "metrics.unit_type" }],
    );
    expect((await call("GET", `/v1/jobs/${job.body.job_id}`, { key: "client" })).body.state).toBe("RUNNING");
  });

  it("refuses a lone surrogate in a batch job's idempotency_key", async () => {
    await expectRefused(
      () =>
        call("POST", "/v1/jobs/batch", { key: "client", rawBody: '{"jobs":[{"payload":{},"idempotency_key":"k\\ud800"}]}', headers: json }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "jobs.0.idempotency_key", issue: "is not well-formed Unicode (a lone surrogate)" }],
    );
  });

  it("refuses a lone surrogate in a payload string or key", async () => {
    for (const [raw, field] of [
      ['{"payload":{"x":"\\ud800"}}', "payload.x"],
      ['{"payload":{"\\udfff":1}}', "payload"],
    ] as const) {
      await expectRefused(() => call("POST", "/v1/jobs", { key: "client", rawBody: raw, headers: json }), 422, "INVALID_PAYLOAD", [
        { field },
      ]);
    }
  });
});

describe("bounded fields", () => {
  it("refuses a string over its maximum length (constraints.gpu, 128)", async () => {
    await expectRefused(
      () => call("POST", "/v1/jobs", { key: "client", body: { payload: {}, constraints: { gpu: "g".repeat(129) } } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "constraints.gpu" }],
    );
  });

  it("refuses arrays over their maximum length (constraints.models 64, batch jobs 100)", async () => {
    await expectRefused(
      () =>
        call("POST", "/v1/jobs", {
          key: "client",
          body: { payload: {}, constraints: { models: Array.from({ length: 65 }, (_, i) => `m${i}`) } },
        }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "constraints.models" }],
    );
    await expectRefused(
      () => call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: Array.from({ length: 101 }, () => ({ payload: {} })) } }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "jobs" }],
    );
  });

  it("refuses a negative or non-numeric max_wait_seconds (a longer wait is capped at 30 s, not refused)", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    for (const wait of [-1, "5", true]) {
      await expectRefused(
        () => call("POST", "/v1/miners/poll", { key: "miner", body: { max_wait_seconds: wait }, headers: { "X-Miner-Id": minerId } }),
        422,
        "INVALID_PAYLOAD",
        [{ field: "max_wait_seconds" }],
      );
    }
  });

  it("refuses a pagination limit outside 1..100", async () => {
    for (const limit of ["0", "101", "abc"]) {
      await expectRefused(() => call("GET", `/v1/jobs?limit=${limit}`, { key: "client" }), 422, "INVALID_PAYLOAD", [{ field: "limit" }]);
      await expectRefused(() => call("GET", `/v1/admin/miners?limit=${limit}`, { key: "admin" }), 422, "INVALID_PAYLOAD", [
        { field: "limit" },
      ]);
    }
  });
});

describe("request size", () => {
  it("refuses a header over 8 KiB with 431 naming the header", async () => {
    await expectRefused(
      () => call("POST", "/v1/jobs", { key: "client", body: { payload: {} }, headers: { "X-Padding": "p".repeat(8 * 1024) } }),
      431,
      "HEADERS_TOO_LARGE",
      [{ field: "x-padding", issue: "over 8192 bytes" }],
    );
    // An oversized key is refused as a header before it is looked up.
    await expectRefused(() => call("GET", "/v1/jobs", { headers: { "X-Api-Key": "k".repeat(9 * 1024) } }), 431, "HEADERS_TOO_LARGE", [
      { field: "x-api-key" },
    ]);
  });

  it("refuses more than 64 headers with 431", async () => {
    const headers = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`X-Extra-${i}`, "1"]));
    await expectRefused(() => call("POST", "/v1/jobs", { key: "client", body: { payload: {} }, headers }), 431, "HEADERS_TOO_LARGE", [
      { field: "(headers)" },
    ]);
  });

  it("accepts 60 extra headers of exactly 8 KiB each (name and value)", async () => {
    // The count includes the headers the runtime adds (content-length here; cf-* and x-forwarded-* in production).
    const value = "v".repeat(8 * 1024 - "x-extra-00".length);
    const headers = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`X-Extra-${String(i).padStart(2, "0")}`, value]));
    const res = await call("POST", "/v1/jobs", { key: "client", body: { payload: {} }, headers });
    expect(res.status).toBe(201);
  });

  it("refuses a body over 1 MiB with 413 before parsing it", async () => {
    const big = JSON.stringify({ payload: { blob: "x".repeat(1024 * 1024) } });
    await expectRefused(() => call("POST", "/v1/jobs", { key: "client", rawBody: big, headers: json }), 413, "PAYLOAD_TOO_LARGE");
    // The size is counted as the body streams, not taken from Content-Length.
    const stream = new Blob([big]).stream();
    await expectRefused(
      () => call("POST", "/v1/jobs", { key: "client", rawBody: stream, headers: { ...json, "content-length": "10" } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});
