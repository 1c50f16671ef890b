import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ApiError, errorResponse, handleError, isErrorCode, STATUS_BY_CODE, zodDetails } from "../../src/http/errors";

// The wire contract's error codes (AITBC Coordinator API v1; docs/api.md, "Codes"), verbatim:
// every wire code and its status.
const API_CODES = {
  UNAUTHORIZED_KEY: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  MINER_NOT_FOUND: 404,
  RECEIPT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT_STATE: 409,
  LEASE_LOST: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_PAYLOAD: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  JOB_NOT_READY: 425,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

describe("STATUS_BY_CODE", () => {
  for (const [code, status] of Object.entries(API_CODES)) {
    it(`maps ${code} to ${status}`, () => {
      expect(STATUS_BY_CODE[code as keyof typeof STATUS_BY_CODE]).toBe(status);
    });
  }

  it("has no codes beyond the contract's except the internal MALFORMED_JSON (400), HEADERS_TOO_LARGE (431) and SIGNING_UNAVAILABLE (503)", () => {
    const extra = Object.keys(STATUS_BY_CODE).filter((code) => !(code in API_CODES));
    expect(extra).toEqual(["HEADERS_TOO_LARGE", "MALFORMED_JSON", "SIGNING_UNAVAILABLE"]);
    expect(STATUS_BY_CODE.MALFORMED_JSON).toBe(400);
    expect(STATUS_BY_CODE.SIGNING_UNAVAILABLE).toBe(503);
    expect(STATUS_BY_CODE.HEADERS_TOO_LARGE).toBe(431);
  });

  it("recognises every API code and refuses unknown ones", () => {
    for (const code of Object.keys(API_CODES)) expect(isErrorCode(code), code).toBe(true);
    expect(isErrorCode("TEAPOT")).toBe(false);
    expect(isErrorCode("")).toBe(false);
  });

  // BUG (src/http/errors.ts isErrorCode): `code in STATUS_BY_CODE` walks the prototype chain, so
  // "toString", "constructor", "hasOwnProperty" and "__proto__" pass the guard; unwrap() in
  // queue/client.ts would then build an ApiError whose status is a function instead of a number.
  // Fix: Object.hasOwn(STATUS_BY_CODE, code).
  it("does not take Object.prototype member names for error codes", () => {
    for (const name of ["toString", "constructor", "hasOwnProperty", "__proto__"]) {
      expect(isErrorCode(name), name).toBe(false);
    }
  });
});

describe("ApiError", () => {
  it("carries its code, the code's status, message and details", () => {
    const err = new ApiError("LEASE_LOST", "job is no longer leased to this miner", [{ field: "lease_id", issue: "stale" }]);
    expect(err).toBeInstanceOf(HTTPException);
    expect(err.status).toBe(409);
    expect(err.code).toBe("LEASE_LOST");
    expect(err.message).toBe("job is no longer leased to this miner");
    expect(err.details).toEqual([{ field: "lease_id", issue: "stale" }]);
  });
});

describe("zodDetails", () => {
  const schema = z.object({
    payload: z.record(z.string(), z.unknown()),
    constraints: z.object({ models: z.array(z.string()), gpu: z.string().optional() }).optional(),
    jobs: z.array(z.object({ meta: z.object({ tag: z.string() }) })).optional(),
  });
  const issuesOf = (input: unknown, prefix?: string) => {
    const result = schema.safeParse(input);
    if (result.success) throw new Error("expected the input to be invalid");
    return zodDetails(result.error, prefix);
  };

  it("names a top-level field", () => {
    expect(issuesOf({ payload: "x" })).toEqual([{ field: "payload", issue: expect.any(String) }]);
  });

  it("joins a nested object path with dots", () => {
    expect(issuesOf({ payload: {}, constraints: { models: [], gpu: 1 } }).map((d) => d.field)).toEqual(["constraints.gpu"]);
  });

  it("writes array indexes as dotted segments", () => {
    expect(issuesOf({ payload: {}, constraints: { models: ["a", 2] } }).map((d) => d.field)).toEqual(["constraints.models.1"]);
    expect(issuesOf({ payload: {}, jobs: [{ meta: { tag: "a" } }, { meta: { tag: 3 } }] }).map((d) => d.field)).toEqual([
      "jobs.1.meta.tag",
    ]);
  });

  it("reports every issue, each with zod's message", () => {
    const details = issuesOf({ payload: 1, constraints: { models: "x" } });
    expect(details.map((d) => d.field)).toEqual(["payload", "constraints.models"]);
    for (const d of details) expect(d.issue).toMatch(/\S/);
  });

  it("names the body itself when the whole body is wrong", () => {
    expect(issuesOf("not an object")).toEqual([{ field: "(body)", issue: expect.any(String) }]);
  });

  it("puts a prefix in front of every field (batch items)", () => {
    expect(issuesOf({ payload: {}, constraints: { models: [1] } }, "jobs.3").map((d) => d.field)).toEqual(["jobs.3.constraints.models.0"]);
    expect(issuesOf(null, "jobs.0").map((d) => d.field)).toEqual(["jobs.0"]);
  });

  it("copies the issue message", () => {
    const custom = z.object({ cuda: z.string().regex(/^\d+$/, "must look like 12") });
    const result = custom.safeParse({ cuda: "x" });
    expect(result.success).toBe(false);
    if (!result.success) expect(zodDetails(result.error)).toEqual([{ field: "cuda", issue: "must look like 12" }]);
  });
});

describe("errorResponse and handleError", () => {
  afterEach(() => vi.restoreAllMocks());

  async function answer(respond: (c: Context) => Response | Promise<Response>) {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use("*", async (c, next) => {
      c.set("requestId", "req-123");
      await next();
    });
    app.get("/", (c) => respond(c));
    app.onError(handleError);
    const res = await app.request("/");
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
  }

  it("builds the one error shape with the request id", async () => {
    const res = await answer((c) => errorResponse(c, "JOB_NOT_FOUND", "job not found"));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "JOB_NOT_FOUND", message: "job not found" }, request_id: "req-123" });
  });

  it("includes details only when there are some", async () => {
    const withDetails = await answer((c) => errorResponse(c, "INVALID_PAYLOAD", "bad", [{ field: "payload", issue: "expected object" }]));
    expect(withDetails.body).toEqual({
      error: { code: "INVALID_PAYLOAD", message: "bad", details: [{ field: "payload", issue: "expected object" }] },
      request_id: "req-123",
    });
    const empty = await answer((c) => errorResponse(c, "INVALID_PAYLOAD", "bad", []));
    expect(empty.body).toEqual({ error: { code: "INVALID_PAYLOAD", message: "bad" }, request_id: "req-123" });
  });

  it("sends MALFORMED_JSON on the wire as INVALID_PAYLOAD with status 400", async () => {
    const res = await answer((c) => errorResponse(c, "MALFORMED_JSON", "request body is not valid JSON"));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "INVALID_PAYLOAD" } });
  });

  it("answers a thrown ApiError with its code, status, details and headers", async () => {
    const res = await answer(() => {
      throw new ApiError("RATE_LIMITED", "slow down", undefined, { "Retry-After": "7" });
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("7");
    expect(res.body).toEqual({ error: { code: "RATE_LIMITED", message: "slow down" }, request_id: "req-123" });
  });

  it("maps Hono's 400 and 413 exceptions to INVALID_PAYLOAD and PAYLOAD_TOO_LARGE", async () => {
    const malformed = await answer(() => {
      throw new HTTPException(400, { message: "Malformed JSON in request body" });
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: "INVALID_PAYLOAD" } });
    const tooLarge = await answer(() => {
      throw new HTTPException(413);
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  });

  it("answers an unexpected error with 500 INTERNAL and a fixed message that leaks nothing", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await answer(() => {
      throw new Error("D1_ERROR: no such table: jobs (key sk-live-123)");
    });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: { code: "INTERNAL" }, request_id: "req-123" });
    expect(JSON.stringify(res.body)).not.toContain("D1_ERROR");
    expect(JSON.stringify(res.body)).not.toContain("sk-live-123");
    expect(log).toHaveBeenCalledOnce();
    expect(String(log.mock.calls[0]?.[0])).toContain("req-123");
  });
});
