import { describe, expect, it } from "vitest";
import { errorFromResponse, retryAfterSeconds } from "../../../sdk/errors";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, delayAfterAnswerMs, isRetryableStatus } from "../../../sdk/retry";

const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe("backoff", () => {
  it("doubles the ceiling with each retry up to the maximum, and jitters below it", () => {
    expect([0, 1, 2, 3, 4, 10].map((retry) => backoffDelayMs(retry, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(400);
  });

  it("retries 429 always, 5xx (but 501) only when repeating is safe, nothing else", () => {
    expect(isRetryableStatus(429, false)).toBe(true);
    expect([500, 502, 503, 504].every((status) => isRetryableStatus(status, true))).toBe(true);
    expect([500, 503].some((status) => isRetryableStatus(status, false))).toBe(false);
    expect([200, 400, 404, 409, 422, 425, 501].some((status) => isRetryableStatus(status, true))).toBe(false);
  });

  it("waits what a 429's Retry-After asks, gives up when that is too long, else backs off", () => {
    expect(delayAfterAnswerMs(429, 3, 0, policy)).toBe(3_000);
    expect(delayAfterAnswerMs(429, 6, 0, policy)).toBeNull();
    expect(delayAfterAnswerMs(429, null, 0, policy)).toBeLessThan(100);
    expect(delayAfterAnswerMs(503, 3, 0, policy)).toBeLessThan(100);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSeconds("7", now)).toBe(7);
    expect(retryAfterSeconds("Thu, 01 Jan 2026 00:00:09 GMT", now)).toBe(9);
    expect(retryAfterSeconds("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterSeconds("soon", now)).toBeNull();
    expect(retryAfterSeconds(null, now)).toBeNull();
  });
});

describe("errorFromResponse", () => {
  it("reads the one error shape, with the request id and Retry-After", () => {
    const response = new Response(null, { status: 429, headers: { "retry-after": "2", "x-request-id": "from-header" } });
    const error = errorFromResponse(response, {
      error: { code: "RATE_LIMITED", message: "slow down", details: [{ field: "x", issue: "y" }] },
      request_id: "req-1",
    });
    expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED", message: "slow down", requestId: "req-1", retryAfterSeconds: 2 });
    expect(error.details).toEqual([{ field: "x", issue: "y" }]);
  });

  it("names any other answer by its status", () => {
    const response = new Response(null, { status: 502, statusText: "Bad Gateway", headers: { "x-request-id": "r" } });
    expect(errorFromResponse(response, "<html>proxy</html>")).toMatchObject({
      code: "HTTP_502",
      message: "<html>proxy</html>",
      requestId: "r",
    });
    expect(errorFromResponse(response, "")).toMatchObject({ code: "HTTP_502", message: "Bad Gateway", details: [] });
  });
});
