// Tracing and logs, in a runtime of its own that logs at info (the other projects log warnings only).
import { beforeEach, describe, expect, it } from "vitest";
import { parseTraceparent } from "../../src/lib/trace-context";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";
import { captureConsole } from "../helpers/warnings";

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_PARENT = `00-${CALLER_TRACE}-00f067aa0ba902b7-01`;

/** The span a response names in its traceparent header. */
function answeredSpan(headers: Headers) {
  const parsed = parseTraceparent(headers.get("traceparent"));
  expect(parsed).not.toBeNull();
  return { traceId: parsed!.traceId, spanId: parsed!.parentSpanId };
}

// Every test here logs at info; what it logs is captured, not printed.
let lines: string[] = [];
beforeEach(() => {
  lines = captureConsole("log");
});

const logLines = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/** A miner of its own and a job only it fits, submitted with `headers`. */
async function soloJob(headers: Record<string, string> = {}) {
  const gpu = uniqueName("gpu");
  const minerId = uniqueName("m");
  await registerMiner(minerId, { region: "eu-west", capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
  const submitted = await submit({ payload: { n: 1 }, constraints: { region: "eu-west", gpu } }, "client", headers);
  expect(submitted.status).toBe(201);
  return { minerId, submitted, jobId: submitted.body.job_id as string };
}

describe("W3C trace context", () => {
  it("continues the caller's trace with a span of its own, and starts one when there is none or it is invalid", async () => {
    const continued = await call("GET", "/v1/health", { headers: { traceparent: CALLER_PARENT } });
    const span = answeredSpan(continued.headers);
    expect(span.traceId).toBe(CALLER_TRACE);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.spanId).not.toBe("00f067aa0ba902b7");

    for (const header of [
      undefined,
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      "junk",
    ]) {
      const res = await call("GET", "/v1/health", { headers: header ? { traceparent: header } : {} });
      const fresh = answeredSpan(res.headers);
      expect(fresh.traceId).not.toBe(CALLER_TRACE);
      expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    // Refusals are spans too.
    expect(answeredSpan((await call("GET", "/v1/jobs/nope", { key: "client" })).headers).traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("makes one trace of a job from submit to receipt: every step a span of the request that caused it", async () => {
    const { minerId, submitted, jobId } = await soloJob({ traceparent: CALLER_PARENT });
    expect(submitted.body.trace_id).toBe(CALLER_TRACE);
    const submitSpan = answeredSpan(submitted.headers);

    const poll = await pollAs(minerId);
    expect(poll.body.job_id).toBe(jobId);
    const pollSpan = answeredSpan(poll.headers);
    // The lease names the job's trace, with the lease step (the poll's span) as parent.
    expect(parseTraceparent(poll.body.traceparent)).toEqual({ traceId: CALLER_TRACE, parentSpanId: pollSpan.spanId, sampled: true });

    const done = await call("POST", `/v1/miners/${jobId}/result`, {
      key: "miner",
      headers: { "X-Miner-Id": minerId, traceparent: poll.body.traceparent },
      body: { result: { ok: true }, lease_id: poll.body.lease_id },
    });
    expect(done.status).toBe(200);
    const resultSpan = answeredSpan(done.headers);
    expect(resultSpan.traceId).toBe(CALLER_TRACE);

    const detail = await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" });
    expect(detail.body.trace_id).toBe(CALLER_TRACE);
    expect(detail.body.events.map((e: Record<string, unknown>) => [e.type, e.trace_id, e.span_id])).toEqual([
      ["submitted", CALLER_TRACE, submitSpan.spanId],
      ["leased", CALLER_TRACE, pollSpan.spanId],
      ["completed", CALLER_TRACE, resultSpan.spanId],
    ]);
    expect((await call("GET", `/v1/jobs/${jobId}`, { key: "client" })).body.trace_id).toBe(CALLER_TRACE);
  });

  it("starts a trace for a job submitted without one, and keeps the job in it when its miner sends no traceparent", async () => {
    const { minerId, submitted, jobId } = await soloJob();
    const submitSpan = answeredSpan(submitted.headers);
    expect(submitted.body.trace_id).toBe(submitSpan.traceId);
    const poll = await pollAs(minerId);
    const failed = await minerCall(minerId, `/v1/miners/${jobId}/fail`, {
      lease_id: poll.body.lease_id,
      error_code: "OOM",
      error_message: "out of memory",
      retryable: false,
    });
    expect(failed.status).toBe(200);
    const failSpan = answeredSpan(failed.headers);
    expect(failSpan.traceId).not.toBe(submitSpan.traceId);
    const detail = await call("GET", `/v1/admin/jobs/${jobId}`, { key: "admin" });
    const last = detail.body.events.at(-1);
    expect([last.type, last.trace_id, last.span_id]).toEqual(["failed", submitSpan.traceId, failSpan.spanId]);
  });
});

describe("structured logs", () => {
  it("writes one JSON line per request and per job step, with trace ids and never a key", async () => {
    const { minerId, jobId } = await soloJob({ traceparent: CALLER_PARENT });
    const poll = await pollAs(minerId);
    await call("POST", `/v1/miners/${jobId}/result`, {
      key: "miner",
      headers: { "X-Miner-Id": minerId, traceparent: poll.body.traceparent },
      body: { result: { ok: true }, lease_id: poll.body.lease_id },
    });
    const logged = logLines(lines);
    for (const line of lines) for (const key of Object.values(TEST_KEYS)) expect(line).not.toContain(key);

    const submitLine = logged.find((l) => l.msg === "request" && l.route === "/v1/jobs" && l.method === "POST");
    expect(submitLine).toMatchObject({
      level: "info",
      status: 201,
      trace_id: CALLER_TRACE,
      job_id: jobId,
      parent_span_id: "00f067aa0ba902b7",
    });
    expect(submitLine?.principal_id).toMatch(/^cli_/);
    expect(typeof submitLine?.duration_ms).toBe("number");
    expect(submitLine?.request_id).toEqual(expect.any(String));
    const resultLine = logged.find((l) => l.msg === "request" && l.route === "/v1/miners/:job_id/result");
    expect(resultLine).toMatchObject({ status: 200, job_id: jobId, trace_id: CALLER_TRACE });

    const steps = logged.filter((l) => l.msg === "job step" && l.job_id === jobId);
    expect(steps.map((l) => [l.step, l.trace_id])).toEqual([
      ["submitted", CALLER_TRACE],
      ["leased", CALLER_TRACE],
      ["completed", CALLER_TRACE],
    ]);
    // The poll ran in a trace of its own: its step names it.
    expect(steps[1]?.cause_trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(steps[2]?.cause_trace_id).toBeUndefined();
    expect(logged.find((l) => l.msg === "receipt issued" && l.job_id === jobId)).toMatchObject({ trace_id: CALLER_TRACE });
  });
});
