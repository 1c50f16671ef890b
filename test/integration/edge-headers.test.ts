import { describe, expect, it } from "vitest";
import { call, fetchAppWith } from "../helpers/api";

const ALLOW_HEADERS = [
  "X-Api-Key",
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "X-Miner-Id",
  "X-Request-Id",
  "X-Signature",
  "traceparent",
];
const EXPOSE_HEADERS = ["X-Request-Id", "Retry-After", "Idempotent-Replayed", "traceparent"];

const list = (value: string | null) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

function expectSecurityHeaders(headers: Headers, cacheControl = "no-store") {
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("no-referrer");
  expect(headers.get("x-frame-options")).toBe("DENY");
  expect(headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(headers.get("strict-transport-security")).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
  expect(headers.get("cache-control")).toBe(cacheControl);
}

const preflight = (path: string, origin = "https://app.example") =>
  new Request(`http://coordinator.test${path}`, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "x-api-key, content-type, idempotency-key",
    },
  });

describe("CORS with ALLOW_ORIGINS=*", () => {
  it("answers a preflight with 204, the allowed headers and no credentials, without a key", async () => {
    for (const path of ["/v1/jobs", "/v1/miners/poll", "/v1/health", "/v1/nothing-here"]) {
      const res = await call("OPTIONS", path, {
        headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key" },
      });
      expect(res.status, path).toBe(204);
      expect(res.body).toBeNull();
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(list(res.headers.get("access-control-allow-headers"))).toEqual(ALLOW_HEADERS.map((h) => h.toLowerCase()));
      expect(list(res.headers.get("access-control-allow-methods"))).toEqual(expect.arrayContaining(["get", "post", "delete"]));
      expect(res.headers.get("access-control-max-age")).toBe("600");
      expect(res.headers.has("access-control-allow-credentials")).toBe(false);
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
      expectSecurityHeaders(res.headers);
    }
  });

  it("allows any origin on real responses, exposes the headers clients read, and never allows credentials", async () => {
    for (const res of [
      await call("GET", "/v1/health", { headers: { Origin: "https://anywhere.example" } }),
      await call("GET", "/v1/jobs", { headers: { Origin: "https://anywhere.example" } }),
    ]) {
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(list(res.headers.get("access-control-expose-headers"))).toEqual(EXPOSE_HEADERS.map((h) => h.toLowerCase()));
      expect(res.headers.has("access-control-allow-credentials")).toBe(false);
    }
  });
});

describe("CORS with a list of origins", () => {
  const settings = { ALLOW_ORIGINS: "https://app.example, https://admin.example" };

  it("echoes a listed origin, with Vary: Origin", async () => {
    const pre = await fetchAppWith(settings, preflight("/v1/jobs", "https://admin.example"));
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    expect(list(pre.headers.get("vary"))).toContain("origin");
    const get = await fetchAppWith(
      settings,
      new Request("http://coordinator.test/v1/health", { headers: { Origin: "https://app.example" } }),
    );
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(list(get.headers.get("vary"))).toContain("origin");
    expect(get.headers.has("access-control-allow-credentials")).toBe(false);
  });

  it("gives an unlisted origin no Access-Control-Allow-Origin at all", async () => {
    for (const origin of ["https://evil.example", "https://app.example.evil.example", "null"]) {
      const pre = await fetchAppWith(settings, preflight("/v1/jobs", origin));
      expect(pre.status).toBe(204);
      expect(pre.headers.has("access-control-allow-origin"), origin).toBe(false);
      const get = await fetchAppWith(settings, new Request("http://coordinator.test/v1/health", { headers: { Origin: origin } }));
      expect(get.headers.has("access-control-allow-origin"), origin).toBe(false);
    }
  });

  it("allows no origin when ALLOW_ORIGINS is empty", async () => {
    const pre = await fetchAppWith({ ALLOW_ORIGINS: "" }, preflight("/v1/jobs"));
    expect(pre.status).toBe(204);
    expect(pre.headers.has("access-control-allow-origin")).toBe(false);
  });
});

describe("security headers", () => {
  it("are on every response: success, 401, 403, 404, 405, 413, 415, 422 and 400", async () => {
    const replies = [
      await call("GET", "/v1/health"),
      await call("GET", "/v1/jobs"),
      await call("GET", "/v1/admin/stats", { key: "client" }),
      await call("GET", "/v1/nothing-here"),
      await call("DELETE", "/v1/health"),
      await call("POST", "/v1/jobs", {
        key: "client",
        rawBody: "x".repeat(1024 * 1024 + 1),
        headers: { "content-type": "application/json" },
      }),
      await call("POST", "/v1/jobs", { key: "client", rawBody: "a=1", headers: { "content-type": "text/plain" } }),
      await call("POST", "/v1/jobs", { key: "client", body: { payload: 1 } }),
      await call("POST", "/v1/jobs", { key: "client", rawBody: "{", headers: { "content-type": "application/json" } }),
      await call("GET", "/openapi.json"),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 401, 403, 404, 405, 413, 415, 422, 400, 200]);
    for (const res of replies) {
      expectSecurityHeaders(res.headers);
      expect(res.headers.has("x-powered-by")).toBe(false);
    }
  });

  it("keep a Cache-Control a handler set itself (GET /v1/receipts/keys is cacheable)", async () => {
    const res = await call("GET", "/v1/receipts/keys");
    expect(res.status).toBe(200);
    expectSecurityHeaders(res.headers, "public, max-age=60");
  });
});
