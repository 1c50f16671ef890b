// What the service stores, hashes and echoes is exactly what the client sent, or the request is
// refused: no lone surrogates, no __proto__ members, no unknown members dropped on the floor.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type KeyName, pollAs, soloMinerAndJob, submit, uniqueName } from "../helpers/api";
import { expectRefused, json, rowCounts } from "../helpers/refusals";

/** A job leased to a miner of its own, and the headers that miner calls with. */
async function leasedJob() {
  const { minerId, jobId } = await soloMinerAndJob();
  const lease = await pollAs(minerId);
  expect(lease.body.job_id).toBe(jobId);
  return { minerId, jobId, leaseId: lease.body.lease_id as string, asMiner: { ...json, "X-Miner-Id": minerId } };
}

const jobState = async (jobId: string) => (await call("GET", `/v1/jobs/${jobId}`, { key: "client" })).body.state;

describe("lone surrogates", () => {
  it("refuses them in every stored string, naming the field: failures, heartbeats, key names", async () => {
    const { jobId, leaseId, asMiner } = await leasedJob();
    const refusals: [string, string, string][] = [
      [`/v1/miners/${jobId}/fail`, `{"lease_id":"${leaseId}","error_code":"E\\ud800"}`, "error_code"],
      [`/v1/miners/${jobId}/fail`, `{"lease_id":"${leaseId}","error_message":"boom \\udc00"}`, "error_message"],
      ["/v1/miners/heartbeat", '{"status":"busy \\ud83d"}', "status"],
      ["/v1/miners/heartbeat", '{"inflight":["a","\\ud800"]}', "inflight.1"],
    ];
    for (const [path, raw, field] of refusals) {
      await expectRefused(() => call("POST", path, { key: "miner", rawBody: raw, headers: asMiner }), 422, "INVALID_PAYLOAD", [
        { field, issue: "is not well-formed Unicode (a lone surrogate)" },
      ]);
    }
    expect(await jobState(jobId)).toBe("RUNNING");
    const keysBefore = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>();
    await expectRefused(
      () => call("POST", "/v1/admin/keys", { key: "admin", rawBody: '{"role":"client","name":"ops \\udfff"}', headers: json }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "name", issue: "is not well-formed Unicode (a lone surrogate)" }],
    );
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>()).toEqual(keysBefore);
  });

  it("names several bad strings of one body at once", async () => {
    const { jobId, leaseId, asMiner } = await leasedJob();
    const raw = `{"lease_id":"${leaseId}","error_code":"\\ud800","error_message":"\\udc00"}`;
    await expectRefused(
      () => call("POST", `/v1/miners/${jobId}/fail`, { key: "miner", rawBody: raw, headers: asMiner }),
      422,
      "INVALID_PAYLOAD",
      [{ field: "error_code" }, { field: "error_message" }],
    );
  });
});

describe("idempotency keys", () => {
  const RULE = "must be 1-255 printable ASCII characters";

  it("holds a batch job's idempotency_key to the same rule as the Idempotency-Key header", async () => {
    const bad = ["k\u0000", "cl\u00e9", "two words", "k".repeat(256), ""];
    const before = await rowCounts();
    const res = await call("POST", "/v1/jobs/batch", {
      key: "client",
      body: { jobs: bad.map((key) => ({ payload: {}, idempotency_key: key })) },
    });
    expect(res.status).toBe(200);
    for (const item of res.body.items) {
      expect(item).toEqual({
        status: 422,
        error: { code: "INVALID_PAYLOAD", message: expect.any(String), details: [{ field: "idempotency_key", issue: RULE }] },
      });
    }
    expect(await rowCounts()).toEqual(before);
    await expectRefused(() => submit({ payload: {} }, "client", { "Idempotency-Key": "cl\u00e9" }), 422, "INVALID_PAYLOAD", [
      { field: "idempotency-key", issue: RULE },
    ]);
  });

  it("accepts the same printable ASCII key in both forms, and both forms share one fingerprint", async () => {
    const key = `~${uniqueName("K!ey")}`;
    const single = await submit({ payload: { n: 1 } }, "client", { "Idempotency-Key": key });
    expect(single.status).toBe(201);
    const batch = await call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: [{ idempotency_key: key, payload: { n: 1 } }] } });
    expect(batch.body.items).toEqual([{ status: 200, job: expect.objectContaining({ job_id: single.body.job_id }) }]);
  });
});

describe("__proto__ members", () => {
  // POST /v1/receipts/verify is the one exception: it stores nothing and judges the document it got,
  // so a __proto__ member there gets a verdict (see the receipt corpus), not a refusal.
  it("refuses one at any depth of any body, naming its path, and writes nothing", async () => {
    const { jobId, leaseId, asMiner } = await leasedJob();
    const refusals: [KeyName | null, string, string, Record<string, string>, string][] = [
      ["client", "/v1/jobs", '{"payload":{"__proto__":{"x":1}}}', json, "payload.__proto__"],
      ["client", "/v1/jobs", '{"payload":{"a":[{"b":{"__proto__":null}}]}}', json, "payload.a.0.b.__proto__"],
      ["client", "/v1/jobs", '{"payload":{},"__proto__":{"ttl_seconds":1}}', json, "__proto__"],
      ["client", "/v1/jobs", '{"payload":{},"constraints":{"__proto__":{"gpu":"A100"}}}', json, "constraints.__proto__"],
      ["client", "/v1/jobs/batch", '{"jobs":[{"payload":{"__proto__":{}}}]}', json, "jobs.0.payload.__proto__"],
      ["miner", "/v1/miners/register", '{"capabilities":{"__proto__":{"gpus":[]}}}', json, "capabilities.__proto__"],
      ["miner", "/v1/miners/heartbeat", '{"metadata":{"__proto__":{"load":1}}}', asMiner, "metadata.__proto__"],
      ["miner", `/v1/miners/${jobId}/result`, `{"lease_id":"${leaseId}","result":{"__proto__":{"ok":true}}}`, asMiner, "result.__proto__"],
      [
        "miner",
        `/v1/miners/${jobId}/result`,
        `{"lease_id":"${leaseId}","result":{},"metrics":{"__proto__":{"units":9}}}`,
        asMiner,
        "metrics.__proto__",
      ],
      ["admin", "/v1/admin/keys", '{"role":"client","name":"n","__proto__":{"role":"admin"}}', json, "__proto__"],
    ];
    for (const [key, path, raw, headers, field] of refusals) {
      await expectRefused(() => call("POST", path, { key, rawBody: raw, headers }), 422, "INVALID_PAYLOAD", [
        { field, issue: "a member named __proto__ is not accepted" },
      ]);
    }
    expect(await jobState(jobId)).toBe("RUNNING");
  });

  it("delivers every other member of a payload exactly as sent, prototype-like names included", async () => {
    const payload = { constructor: { prototype: { x: 1 } }, toString: "s", hasOwnProperty: null, "": [null, { a: null }], "0": 0 };
    const { minerId, jobId } = await soloMinerAndJob("eu-west", { payload });
    const lease = await pollAs(minerId);
    expect(lease.body.job_id).toBe(jobId);
    // Compared as text: member order counts, and an own "constructor" member confuses deep equality.
    expect(JSON.stringify(lease.body.payload)).toBe(JSON.stringify(payload));
  });
});

describe("the idempotency fingerprint covers the body as received", () => {
  it("replays the same members in any order, and refuses any other body, even one that means the same job", async () => {
    const headers = { ...json, "Idempotency-Key": uniqueName("exact") };
    const send = (raw: string) => call("POST", "/v1/jobs", { key: "client", rawBody: raw, headers });
    const first = await send('{"payload":{"a":1,"b":[1,2]}}');
    expect(first.status).toBe(201);
    const reordered = await send('{ "payload" : { "b" : [1, 2], "a" : 1 } }');
    expect(reordered.status).toBe(200);
    expect(reordered.body.job_id).toBe(first.body.job_id);
    for (const other of [
      '{"payload":{"a":1,"b":[1,2]},"ttl_seconds":900}',
      '{"payload":{"a":1,"b":[1,2]},"priority":null}',
      '{"payload":{"a":1,"b":[1,2],"c":null}}',
    ]) {
      const res = await send(other);
      expect(res.status, other).toBe(422);
      expect(res.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    }
  });
});

describe("unknown members", () => {
  it("refuses an unknown member of every request body with 422 naming it, and writes nothing", async () => {
    const { jobId, leaseId, asMiner } = await leasedJob();
    const refusals: [KeyName, string, unknown, Record<string, string>, string][] = [
      ["client", "/v1/jobs", { payload: {}, prio: 1 }, json, "prio"],
      ["client", "/v1/jobs/batch", { jobs: [{ payload: {} }], atomic: true }, json, "atomic"],
      ["miner", "/v1/miners/register", { concurency: 2 }, json, "concurency"],
      ["miner", "/v1/miners/register", { capabilities: {}, region: null, miner: "x" }, json, "miner"],
      ["miner", "/v1/miners/heartbeat", { inflight: 0, extra: 1 }, asMiner, "extra"],
      ["miner", "/v1/miners/poll", { max_wait: 1 }, asMiner, "max_wait"],
      ["miner", `/v1/miners/${jobId}/result`, { lease_id: leaseId, result: {}, receipt: {} }, asMiner, "receipt"],
      ["miner", `/v1/miners/${jobId}/fail`, { lease_id: leaseId, error: "x" }, asMiner, "error"],
      ["admin", "/v1/admin/keys", { role: "client", name: "n", roles: ["admin"] }, json, "roles"],
    ];
    for (const [key, path, body, headers, field] of refusals) {
      await expectRefused(() => call("POST", path, { key, body, headers }), 422, "INVALID_PAYLOAD", [{ field, issue: "unknown field" }]);
    }
    expect(await jobState(jobId)).toBe("RUNNING");
    const batch = await call("POST", "/v1/jobs/batch", { key: "client", body: { jobs: [{ payload: {}, ttl: 5 }] } });
    expect(batch.body.items).toEqual([
      { status: 422, error: { code: "INVALID_PAYLOAD", message: expect.any(String), details: [{ field: "ttl", issue: "unknown field" }] } },
    ]);
  });

  it("accepts the bodies AITBC's miner and client SDK send, extra metrics members included", async () => {
    const created = await call("POST", "/v1/admin/keys", { key: "admin", body: { role: "miner", name: uniqueName("aitbc-miner") } });
    const auth = { ...json, Authorization: `Bearer ${created.body.key}` };
    const asAitbcMiner = (path: string, body: unknown) => call("POST", path, { key: null, body, headers: auth });
    const gpu = uniqueName("RTX 4060 Ti");
    const capabilities = {
      node: "rig-1",
      python_version: "3.11.4",
      platform: "Linux-6.1-x86_64",
      cpu: { logical_cores: 16, model: "x86_64" },
      memory: { total_bytes: 68719476736, total_gb: 64 },
      // AITBC's GPU probe sends memory_mb null when nvidia-smi's figure does not parse.
      runners: { cli: true, python: true },
      gpus: [
        { name: gpu, memory_mb: 16380 },
        { name: gpu, memory_mb: null },
      ],
    };
    const registered = await asAitbcMiner("/v1/miners/register", { capabilities, concurrency: 1, region: null });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    const metadata = { cpu_percent: 3.5, load_avg: [0.1, 0.2, 0.3], memory_percent: 41.2, timestamp: 1767225600.5 };
    expect((await asAitbcMiner("/v1/miners/heartbeat", { inflight: 0, status: "ONLINE", metadata })).status).toBe(200);

    const fromSdk = await submit({ payload: { prompt: "hi" }, ttl_seconds: 900, constraints: { gpu } });
    expect(fromSdk.status, JSON.stringify(fromSdk.body)).toBe(201);

    // Top priority, so this miner (which fits any job without a GPU constraint) takes these two first.
    const jobs = [];
    for (const prompt of ["one", "two"])
      jobs.push((await submit({ payload: { prompt }, priority: 100, constraints: { gpu } })).body.job_id);
    // After an empty poll AITBC's miner backs off with random fractional waits, beyond 30 s too.
    const first = await asAitbcMiner("/v1/miners/poll", { max_wait_seconds: 7.3 });
    expect(first.body.job_id).toBe(jobs[0]);
    const done = await asAitbcMiner(`/v1/miners/${jobs[0]}/result`, {
      result: { text: "ok" },
      metrics: { workspace: "/var/lib/aitbc/miner/jobs/x" },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const second = await asAitbcMiner("/v1/miners/poll", { max_wait_seconds: 45.62 });
    expect(second.body.job_id).toBe(jobs[1]);
    const failed = await asAitbcMiner(`/v1/miners/${jobs[1]}/fail`, { error_code: "RUNTIME_ERROR", error_message: "boom", metrics: {} });
    expect(failed.status, JSON.stringify(failed.body)).toBe(200);
  });
});
