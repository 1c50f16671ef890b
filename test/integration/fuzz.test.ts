// Property-based fuzzing of the whole Worker: random methods, paths (the OpenAPI document's, with
// valid-looking and garbage ids, plus garbage paths), headers, content types, encodings and bodies.
// Properties: never a 5xx; every error is exactly the one error shape with a known code, its status,
// and request_id equal to X-Request-Id; a request that reaches a documented operation gets a status
// that operation documents, and an error code its response for that status lists; every response
// has the baseline headers; and a refused request writes no row to jobs, job_events, miners or
// idempotency_records.
//
// So that no row can appear in the background while a refused request is being checked, the
// generators never submit a job whose TTL could run out during the run (ttl_seconds is either
// invalid or >= 3600) and never let a poll park: polls always name a miner (a key with several
// miners must), and polls for the registered miners send max_wait_seconds 0. A job's event stream
// (text/event-stream) stays open while the job runs, so its body is not read.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { STATUS_BY_CODE } from "../../src/http/errors";
import { call, fetchApp, registerMiner, submit } from "../helpers/api";
import { errorCodesOf, type Json, operationFor } from "../helpers/openapi";
import { liveJob, regionByName } from "../helpers/region";
import { TEST_KEYS } from "../helpers/test-bindings";

// About 8 ms a run in workerd on a 2-core machine: ~15 s alone, a little more inside `npm test`.
// On a failure fast-check prints { seed, path }: pass both in the fc.assert options below to replay it.
const NUM_RUNS = Number(env.FUZZ_RUNS ?? 2000);
const WIRE_CODES = Object.keys(STATUS_BY_CODE).filter((code) => code !== "MALFORMED_JSON");
const REGISTERED_MINERS = ["fz-registered-a", "fz-registered-b"];

let doc: Json;
let docPaths: string[] = [];
let docOperations: [method: string, path: string][] = [];
let knownJobId = "";

beforeAll(async () => {
  doc = (await call("GET", "/openapi.json")).body;
  const paths: Record<string, Record<string, unknown>> = doc.paths;
  docPaths = Object.keys(paths);
  docOperations = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), p] as [string, string]));
  knownJobId = (await submit({ payload: { fuzz: true }, ttl_seconds: 86_400 })).body.job_id;
  // Two miners per miner key: a poll without X-Miner-Id is then refused instead of parked.
  for (const key of ["miner", "miner2"] as const) {
    for (const id of REGISTERED_MINERS) await registerMiner(`${id}-${key}`, { region: "us-east" }, key);
  }
});

async function rowCounts(): Promise<Record<string, number>> {
  return (await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM job_events) AS job_events,
            (SELECT COUNT(*) FROM miners) AS miners, (SELECT COUNT(*) FROM idempotency_records) AS idempotency_records`,
  ).first<Record<string, number>>())!;
}

// ---- generators --------------------------------------------------------------------------------

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });
const weighted = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

const idInPath = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(knownJobId) },
    { weight: 3, arbitrary: hex32 },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "..", "%2e%2e", "%00", "%2F", "A".repeat(300), "0".repeat(32).toUpperCase(), "null", "-1", "1e400"),
    },
  );

const garbagePath = fc.oneof(
  fc.webPath(),
  fc.string({ unit: "binary", maxLength: 40 }).map((s) => `/v1/${encodeURIComponent(s)}`),
  fc.constantFrom(
    "/",
    "/v1",
    "/v1/",
    "//v1/jobs",
    "/v1/jobs/",
    "/V1/JOBS",
    "/v1/jobs/../admin/stats",
    "/v1/%6aobs",
    "/v1/jobs%00",
    "/v1/miners/",
    "/v1/admin",
    "/v1/admin/keys/",
    "/openapi.json",
    "/docs",
    "/metrics",
    "/admin",
    "/v1/health/x",
    "/*",
    "/%2A",
    "/v1/*",
  ),
);

const query = fc.option(
  fc
    .dictionary(
      fc.constantFrom("limit", "cursor", "state", "region", "client_id", "miner_id", "status", "x", "limit[]"),
      fc.oneof(
        printable,
        fc.integer().map(String),
        fc.constantFrom("0", "1", "100", "101", "1e400", "-1", "QUEUED", "ONLINE", "%", "a".repeat(300)),
      ),
      { maxKeys: 3 },
    )
    .map((params) => `?${new URLSearchParams(params)}`),
  { nil: "" },
);

const anyMethod = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO", "get", "QUERY");

/** Mostly an operation of the OpenAPI document (its method and path); sometimes anything. */
const operation = () =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(fc.constantFrom(...docOperations), idInPath()).map(([[m, p], id]) => [m, p.replace(/\{[^}]+\}/g, id)] as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(anyMethod, fc.constantFrom(...docPaths), idInPath())
        .map(([m, p, id]) => [m, p.replace(/\{[^}]+\}/g, id)] as const),
    },
    { weight: 1, arbitrary: fc.tuple(anyMethod, garbagePath) },
  );

type KeyName = keyof typeof TEST_KEYS;
const keyName = fc.constantFrom(...(Object.keys(TEST_KEYS) as KeyName[]));
const roleKeys = (p: string): KeyName[] =>
  p.startsWith("/v1/jobs")
    ? ["client", "client2"]
    : p.startsWith("/v1/miners")
      ? ["miner", "miner2"]
      : p.startsWith("/v1/admin")
        ? ["admin"]
        : [];

/** Usually the key of the role the path wants, so that most requests get past authentication. */
const authHeaders = (p: string) => {
  const own = roleKeys(p);
  const fitting = own.length ? fc.constantFrom(...own) : keyName;
  return fc.oneof(
    { weight: 12, arbitrary: fitting.map((k) => ({ "X-Api-Key": TEST_KEYS[k] })) },
    { weight: 3, arbitrary: fitting.map((k) => ({ Authorization: `Bearer ${TEST_KEYS[k]}` })) },
    { weight: 2, arbitrary: keyName.map((k) => ({ "X-Api-Key": TEST_KEYS[k] })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: printable.map((v) => ({ "X-Api-Key": v })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { "X-Api-Key": "k".repeat(600) },
        { Authorization: "Bearer " },
        { Authorization: "Basic dXNlcjpwdw==" },
        { Authorization: "Bearer \u00e9t\u00e9" },
      ),
    },
  );
};

const contentType = fc.option(
  fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "APPLICATION/JSON",
        "application/json;charset=utf-16",
        "application/vnd.api+json",
        "application/problem+json",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json ; x=1",
        "",
        "*/*",
        "application/octet-stream",
      ),
    },
    { weight: 1, arbitrary: printable },
  ),
  { nil: undefined, freq: 8 },
);

const otherHeaders = fc.record(
  {
    "X-Miner-Id": fc.oneof(
      fc.constantFrom(...REGISTERED_MINERS.flatMap((id) => [`${id}-miner`, `${id}-miner2`])),
      printable.map((s) => `fzhdr-${s}`),
    ),
    "Idempotency-Key": fc.oneof(printable, fc.constant("k".repeat(256)), fc.constant("cl\u00e9")),
    "X-Request-Id": fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,40}$/), printable),
    "Content-Encoding": fc.constantFrom("gzip", "br", "deflate", "identity", "x-unknown"),
    Origin: fc.constantFrom("https://app.example", "null", "http://localhost:3000"),
    Accept: fc.constantFrom("text/event-stream", "application/json", "*/*", "text/html"),
    "X-Signature": fc.oneof(printable, fc.constant(`t=${Math.floor(Date.now() / 1000)},v1=${"ab".repeat(32)}`)),
    "CF-Connecting-IP": fc.constantFrom("203.0.113.9", "2001:db8::1", "not-an-ip"),
  },
  { requiredKeys: [] },
);

// Valid-looking bodies for each operation, with any field sometimes replaced by random JSON.
const constraints = fc.record(
  {
    gpu: weighted(fc.constantFrom("A100", "H100", "g".repeat(129))),
    cuda: weighted(fc.constantFrom("12", "12.3", "x")),
    min_vram_gb: weighted(fc.integer({ min: -1, max: 20_000 })),
    models: weighted(fc.array(fc.string({ maxLength: 10 }), { maxLength: 70 })),
    region: weighted(fc.constantFrom("local", "eu-west", "mars")),
    max_price: weighted(fc.double()),
    max_units: weighted(fc.double()),
  },
  { requiredKeys: [] },
);
// Never a TTL that could expire while the fuzz runs (see the header comment).
const ttl = fc.oneof(fc.integer({ min: 3600, max: 86_400 }), fc.constantFrom(0, -1, 86_401, 1.5, "60", null));
const submitBody = fc.record(
  {
    payload: weighted(fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), anyJson, { maxKeys: 4 })),
    constraints: weighted(constraints),
    ttl_seconds: ttl,
    priority: weighted(fc.integer({ min: -150, max: 150 })),
    max_attempts: weighted(fc.integer({ min: 0, max: 12 })),
  },
  { requiredKeys: [] },
);
const metrics = fc.record(
  {
    units: weighted(fc.double()),
    unit_type: weighted(fc.string({ unit: "binary", maxLength: 70 })),
    price: weighted(fc.double()),
    duration_ms: weighted(fc.integer()),
  },
  { requiredKeys: [] },
);
const bodiesByOperation: [RegExp, fc.Arbitrary<unknown>][] = [
  [/\/jobs$/, submitBody],
  [
    /\/jobs\/batch$/,
    fc.record({
      jobs: weighted(
        fc.array(
          submitBody.map((b) => ({ ...b, idempotency_key: "fz" })),
          { maxLength: 3 },
        ),
      ),
    }),
  ],
  [
    /\/miners\/register$/,
    fc.record(
      {
        capabilities: weighted(
          fc.record(
            { gpus: weighted(fc.array(fc.record({ name: fc.string(), memory_mb: fc.integer() }), { maxLength: 3 })), extra: anyJson },
            { requiredKeys: [] },
          ),
        ),
        concurrency: weighted(fc.integer({ min: 0, max: 70 })),
        region: weighted(fc.constantFrom("local", "mars", "us-east")),
        miner_id: weighted(printable.map((s) => `fzreg-${s}`)),
      },
      { requiredKeys: [] },
    ),
  ],
  [
    /\/miners\/heartbeat$/,
    fc.record({ inflight: weighted(fc.integer()), status: weighted(fc.string()), metadata: anyJson }, { requiredKeys: [] }),
  ],
  [/\/miners\/poll$/, fc.record({ max_wait_seconds: anyJson, max_jobs: weighted(fc.integer({ min: 0, max: 70 })) }, { requiredKeys: [] })],
  [
    /\/result$/,
    fc.record(
      { result: weighted(fc.dictionary(fc.string(), anyJson, { maxKeys: 3 })), metrics, lease_id: weighted(hex32) },
      { requiredKeys: [] },
    ),
  ],
  [
    /\/fail$/,
    fc.record(
      {
        error_code: weighted(fc.string()),
        error_message: weighted(fc.string()),
        retryable: weighted(fc.boolean()),
        metrics,
        lease_id: weighted(hex32),
      },
      { requiredKeys: [] },
    ),
  ],
  [/\/receipts\/verify$/, fc.oneof(anyJson, fc.record({ receipt: fc.dictionary(fc.string(), anyJson) }))],
  [
    /\/admin\/keys$/,
    fc.record(
      { role: weighted(fc.constantFrom("client", "miner", "admin", "root")), name: weighted(fc.string()), hmac: weighted(fc.boolean()) },
      { requiredKeys: [] },
    ),
  ],
];

const jsonText = (p: string) => {
  const shaped = bodiesByOperation.find(([pattern]) => pattern.test(p.split("?")[0]!))?.[1] ?? anyJson;
  const deep = fc
    .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom("[", '{"a":'), fc.boolean())
    .map(([n, open, closed]) => `{"payload":${open.repeat(n)}1${closed ? (open === "[" ? "]" : "}").repeat(n) : ""}}`);
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          shaped.map((v) => JSON.stringify(v) ?? ""),
          fc.nat(),
        )
        .map(([t, n]) => t.slice(0, t.length ? n % t.length : 0)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0", "0.1e999999", "9007199254740993")
        .map((n) => `{"payload":{"x":${n}},"priority":${n},"ttl_seconds":${n},"max_wait_seconds":${n},"limit":${n}}`),
    },
    { weight: 1, arbitrary: deep },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"payload":{"s":"\\ud800"}}',
        '{"payload":{"\\udc00":1}}',
        '{"payload":{"s":"\\u0000"}}',
        '\ufeff{"payload":{}}',
        '{"payload":{"__proto__":{"x":1}}}',
        '{"payload":{},"__proto__":{"ttl_seconds":1}}',
        '{"payload":{"constructor":{"prototype":1}}}',
        '{"payload":{},"constraints":{"gpu":"\\ud83d"}}',
        '{"payload":{}} trailing',
        '{"payload":{},"payload":1}',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("null", "{}", "[]", '""', "0", "true", '{"payload":null}', '{"jobs":null}', '{"result":null}', " ", ""),
    },
  );
};

type BodySpec =
  | { kind: "text"; text: string; encoding: "utf-8" | "utf-16le" | "latin1"; chunked: boolean }
  | { kind: "bytes"; bytes: Uint8Array }
  | undefined;

const body = (p: string): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("text" as const),
        text: jsonText(p),
        encoding: fc.constantFrom("utf-8", "utf-8", "utf-8", "utf-16le", "latin1") as fc.Arbitrary<"utf-8" | "utf-16le" | "latin1">,
        chunked: fc
          .boolean()
          .chain((maybe) => (maybe ? fc.boolean() : fc.constant(false)))
          .chain((maybe) => (maybe ? fc.boolean() : fc.constant(false))),
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: "bytes" as const, bytes })) },
  );

const requestSpec = () =>
  operation().chain(([m, p]) =>
    fc.record({
      method: fc.constant(m),
      path: fc.constant(p),
      query,
      auth: authHeaders(p),
      contentType,
      headers: otherHeaders,
      body: body(p),
    }),
  );
type RequestSpec = ReturnType<typeof requestSpec> extends fc.Arbitrary<infer T> ? T : never;

function encode(text: string, encoding: "utf-8" | "utf-16le" | "latin1"): Uint8Array {
  if (encoding === "utf-8") return new TextEncoder().encode(text);
  if (encoding === "latin1") return Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) & 0xff;
    out[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  return out;
}

/** The spec as a Request, or undefined when the platform would not even build it. */
function build(spec: RequestSpec): Request | undefined {
  const headers = new Headers();
  try {
    for (const [name, value] of Object.entries({ ...spec.auth, ...spec.headers })) headers.set(name, value);
    if (spec.contentType !== undefined) headers.set("content-type", spec.contentType);
  } catch {
    return undefined;
  }
  let payload: BodyInit | undefined;
  const poll = /\/miners\/poll$/.test(spec.path);
  if (poll) {
    // Never park (see the header comment): name a miner, and send wait 0 to the registered ones.
    const miner = headers.get("x-miner-id");
    if (miner === null) headers.set("x-miner-id", "fzhdr-none");
    if (miner !== null && REGISTERED_MINERS.some((id) => miner.startsWith(id))) {
      const parsed = spec.body?.kind === "text" ? tryParse(spec.body.text) : undefined;
      const object = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : {};
      headers.set("content-type", "application/json");
      payload = JSON.stringify({ ...object, max_wait_seconds: 0 });
    }
  }
  if (payload === undefined && spec.body !== undefined) {
    const bytes = spec.body.kind === "bytes" ? spec.body.bytes : encode(spec.body.text, spec.body.encoding);
    payload = spec.body.kind === "text" && spec.body.chunked ? chunks(bytes) : bytes;
  }
  if (["GET", "HEAD"].includes(spec.method.toUpperCase())) payload = undefined;
  try {
    return new Request(`http://coordinator.test${spec.path}${spec.query}`, { method: spec.method, headers, body: payload });
  } catch {
    return undefined;
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function chunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const size = Math.max(1, Math.ceil(bytes.length / 3));
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

// ---- the properties ----------------------------------------------------------------------------

// No fuzzed request may park or hang: polls never wait here (see the header comment).
const ANSWER_WITHIN_MS = 5_000;

async function answerWithin<T>(ms: number, pending: Promise<T>, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${label}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([pending, late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function expectErrorShape(status: number, text: string, requestId: string | null, label: string) {
  let body: any;
  expect(() => (body = JSON.parse(text)), `${label}: error body is JSON`).not.toThrow();
  expect(Object.keys(body).sort(), label).toEqual(["error", "request_id"]);
  expect(body.request_id, `${label}: request_id equals X-Request-Id`).toBe(requestId);
  const { code, message, details, ...rest } = body.error;
  expect(rest, label).toEqual({});
  expect(WIRE_CODES, label).toContain(code);
  expect(typeof message, label).toBe("string");
  expect(
    code === "INVALID_PAYLOAD" ? [400, 422] : [STATUS_BY_CODE[code as keyof typeof STATUS_BY_CODE]],
    `${label}: status fits ${code}`,
  ).toContain(status);
  if (details !== undefined) {
    expect(details.length, label).toBeGreaterThan(0);
    for (const detail of details) {
      expect(Object.keys(detail).sort(), label).toEqual(["field", "issue"]);
      expect([typeof detail.field, typeof detail.issue], label).toEqual(["string", "string"]);
    }
  }
}

// ---- the billing surface ----------------------------------------------------------------------

// Each run re-registers one miner with random terms, leases it a job with random caps, and posts a
// result with random metrics. The job is pinned to the miner by a model no other miner lists; should
// the miner be given another job that fits it, the properties hold for that job just the same.
const NUM_BILLING_RUNS = 150;
const BILLING_REGION = "eu-west";
const BILLING_MINER = "fz-billing";
const BILLING_MODEL = "fz-billing-model";

const billingRun = fc.record({
  price: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
  gpus: fc.nat({ max: 4 }),
  priceHeadroom: fc.option(fc.double({ min: 0, max: 1e12, noNaN: true }), { nil: undefined }),
  maxUnits: fc.option(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e15, noNaN: true })), { nil: undefined }),
  sendLeaseId: fc.boolean(),
  metrics: fc.option(
    fc.record(
      {
        units: weighted(fc.oneof(fc.constantFrom(0, 1, 1e15), fc.double({ min: 0, max: 1e15, noNaN: true }))),
        unit_type: weighted(fc.oneof(fc.constantFrom("gpu_seconds", "tokens", "images"), fc.string({ minLength: 1, maxLength: 64 }))),
        price: weighted(fc.oneof(fc.constantFrom(0, 1e15), fc.double({ min: 0, max: 1e15, noNaN: true }))),
        duration_ms: weighted(fc.oneof(fc.constantFrom(0, 1e13), fc.integer({ min: 0, max: 1e13 }))),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
  result: weighted(fc.dictionary(fc.string(), anyJson, { maxKeys: 3 })),
});

/** The most units the coordinator can stand behind, worked out here independently of src/. */
function unitsAllowed(unitType: string, gpus: number, durationMs: number, maxUnits: number | undefined): number {
  if (unitType !== "gpu_seconds") return maxUnits ?? 0;
  return Math.min(((durationMs + 1000) * gpus) / 1000, maxUnits ?? Infinity);
}

describe("fuzzing the billing surface", () => {
  it(`signs only the agreed price, the coordinator's times and bounded units over ${NUM_BILLING_RUNS} random results`, async () => {
    const asMiner = (path: string, body: unknown) => call("POST", path, { key: "miner", body, headers: { "X-Miner-Id": BILLING_MINER } });
    let signed = 0;
    await fc.assert(
      fc.asyncProperty(billingRun, async (run) => {
        const gpus = Array.from({ length: run.gpus }, () => ({ name: "fz-billing-gpu", memory_mb: 1 }));
        const registered = await asMiner("/v1/miners/register", {
          miner_id: BILLING_MINER,
          region: BILLING_REGION,
          concurrency: 64,
          capabilities: { price: run.price, models: [BILLING_MODEL], ...(gpus.length ? { gpus } : {}) },
        });
        expect(registered.status).toBe(200);
        const constraints = {
          region: BILLING_REGION,
          models: [BILLING_MODEL],
          ...(run.priceHeadroom === undefined ? {} : { max_price: Math.min(run.price + run.priceHeadroom, 1e12) }),
          ...(run.maxUnits === undefined ? {} : { max_units: run.maxUnits }),
        };
        expect((await submit({ payload: { billing: true }, constraints, priority: 100, ttl_seconds: 3600 })).status).toBe(201);
        const lease = await asMiner("/v1/miners/poll", { max_wait_seconds: 0 });
        expect(lease.status).toBe(200);
        const jobId: string = lease.body.job_id;

        const body = { result: run.result, metrics: run.metrics, ...(run.sendLeaseId ? { lease_id: lease.body.lease_id } : {}) };
        const res = await asMiner(`/v1/miners/${jobId}/result`, body);
        const label = JSON.stringify(body).slice(0, 300);
        expect(res.status, label).toBeLessThan(500);
        if (res.status !== 200) {
          // Refused input changes nothing; finish the job so the miner's slots do not fill up.
          expect((await asMiner(`/v1/miners/${jobId}/result`, { result: {} })).status, label).toBe(200);
          return;
        }
        signed += 1;
        const receipt = res.body.receipt;
        const job = (await liveJob(regionByName(BILLING_REGION).stub, jobId))!;
        const durationMs = job.completedAt! - job.leaseStartedAt!;
        // The job was leased just now, under this run's registration.
        expect(receipt.price, label).toBe(run.price);
        expect(receipt.price, label).toBeLessThanOrEqual(job.constraints.max_price ?? Infinity);
        expect([receipt.started_at, receipt.completed_at, receipt.duration_ms], label).toEqual([
          Math.floor(job.leaseStartedAt! / 1000),
          Math.floor(job.completedAt! / 1000),
          durationMs,
        ]);
        expect(receipt.units, label).toBeGreaterThanOrEqual(0);
        expect(receipt.units, label).toBeLessThanOrEqual(
          unitsAllowed(receipt.unit_type, Math.max(1, run.gpus), durationMs, job.constraints.max_units),
        );
        const settlement = await env.DB.prepare("SELECT amount FROM settlements WHERE receipt_id = ?")
          .bind(receipt.receipt_id)
          .first<{ amount: number }>();
        expect(settlement?.amount, label).toBe(receipt.price * receipt.units);
      }),
      { numRuns: NUM_BILLING_RUNS },
    );
    // About half the generated bodies are valid; a third is far from chance and still proves the
    // properties were checked on real receipts, not vacuously.
    expect(signed).toBeGreaterThan(NUM_BILLING_RUNS / 3);
  }, 120_000);
});

describe("fuzzing the HTTP surface", () => {
  it(
    `survives ${NUM_RUNS} random requests: no 5xx, one error shape, no write on refusal`,
    async () => {
      let refused = 0;
      const statuses = new Map<number, number>();
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(requestSpec(), async (spec) => {
          const request = build(spec);
          fc.pre(request !== undefined);
          const label = `${spec.method} ${spec.path}${spec.query}`;
          const before = await answerWithin(ANSWER_WITHIN_MS, rowCounts(), `${label} (counting rows)`);
          // A job's event stream stays open while the job runs: fetchApp does not read its body.
          const res = await answerWithin(ANSWER_WITHIN_MS, fetchApp(request!), label);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);

          expect(res.status, `${label} -> ${res.text.slice(0, 300)}`).toBeLessThan(500);
          const requestId = res.headers.get("x-request-id");
          expect(requestId, label).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
          expect(res.headers.get("x-content-type-options"), label).toBe("nosniff");
          expect(res.headers.get("cache-control"), label).toMatch(/^(no-store|public, max-age=\d+)$/);
          const documented = operationFor(doc, request!.method, new URL(request!.url).pathname);
          if (documented) {
            const answer = `${label} (${documented.op.operationId}) -> ${res.status} ${res.text.slice(0, 200)}`;
            expect(Object.keys(documented.op.responses), answer).toContain(String(res.status));
            if (res.status >= 400)
              expect(errorCodesOf(doc, documented.op.responses[res.status]), answer).toContain(JSON.parse(res.text).error.code);
          }
          if (res.status >= 400) {
            refused += 1;
            if (request!.method !== "HEAD") expectErrorShape(res.status, res.text, requestId, label);
            const after = await answerWithin(ANSWER_WITHIN_MS, rowCounts(), `${label} (counting rows after)`);
            expect(after, `${label} (${res.status}) wrote nothing`).toEqual(before);
          }
        }),
        { numRuns: NUM_RUNS },
      );
      const seconds = (Date.now() - started) / 1000;
      console.info(
        `fuzz: ${NUM_RUNS} runs in ${seconds.toFixed(1)} s, ${refused} refused; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(statuses.size).toBeGreaterThan(5);
    },
    180_000 * Math.max(1, NUM_RUNS / 2000),
  );
});
