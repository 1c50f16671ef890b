import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { call } from "../helpers/api";

const errorShape = (code: string) => ({
  error: expect.objectContaining({ code, message: expect.any(String) }),
  request_id: expect.stringMatching(/.+/),
});

async function countJobs(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs").first<{ n: number }>())!.n;
}

describe("bad input gets the one error shape", () => {
  it("answers malformed JSON with 400 INVALID_PAYLOAD and writes nothing", async () => {
    const before = await countJobs();
    const res = await call("POST", "/v1/jobs", { key: "client", rawBody: "{not json", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(errorShape("INVALID_PAYLOAD"));
    expect(await countJobs()).toBe(before);
  });

  it("answers a body over 1 MiB with 413 before parsing it", async () => {
    const big = JSON.stringify({ payload: { blob: "x".repeat(1024 * 1024) } });
    const res = await call("POST", "/v1/jobs", { key: "client", rawBody: big, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual(errorShape("PAYLOAD_TOO_LARGE"));
  });

  it("answers a non-JSON body with 415", async () => {
    const res = await call("POST", "/v1/jobs", {
      key: "client",
      rawBody: "payload=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual(errorShape("UNSUPPORTED_MEDIA_TYPE"));
  });

  it("answers schema violations with 422 naming every bad field", async () => {
    const res = await call("POST", "/v1/jobs", {
      key: "client",
      body: { payload: "nope", ttl_seconds: 0, priority: 101, constraints: { gpu: "A100", colour: "red" } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("INVALID_PAYLOAD");
    const fields = res.body.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["payload", "ttl_seconds", "priority", "constraints.colour"]));
    for (const d of res.body.error.details) expect(d.issue).toEqual(expect.any(String));
  });

  it("answers a missing body on a route that needs one with 4xx, never 500", async () => {
    const res = await call("POST", "/v1/jobs", { key: "client" });
    expect([400, 415, 422]).toContain(res.status);
    expect(res.body.error.code).toEqual(expect.any(String));
  });

  it("answers an unknown region with 422 on constraints.region", async () => {
    const res = await call("POST", "/v1/jobs", { key: "client", body: { payload: {}, constraints: { region: "mars" } } });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ field: "constraints.region", issue: expect.stringContaining("local") }]);
  });

  it("answers an unknown job id of any shape with 404 JOB_NOT_FOUND, as the AITBC service did", async () => {
    for (const id of ["not-an-id", "0".repeat(32), "A".repeat(32), "%20"]) {
      for (const [method, path, key] of [
        ["GET", `/v1/jobs/${id}`, "client"],
        ["GET", `/v1/jobs/${id}/result`, "client"],
        ["POST", `/v1/jobs/${id}/cancel`, "client"],
        ["GET", `/v1/admin/jobs/${id}`, "admin"],
      ] as const) {
        const res = await call(method, path, { key });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.error.code, `${method} ${path}`).toBe("JOB_NOT_FOUND");
      }
    }
    const miner = await call("POST", "/v1/miners/not-an-id/result", {
      key: "miner",
      body: { result: {} },
      headers: { "X-Miner-Id": "nobody-here" },
    });
    expect(miner.status).toBe(404);
  });

  it("names the part of the request that failed its schema, never 'json'", async () => {
    const body = await call("POST", "/v1/jobs", { key: "client", body: { payload: "nope" } });
    expect(body.body.error.message).toBe("invalid request body");
    const query = await call("GET", "/v1/jobs?limit=0", { key: "client" });
    expect(query.body.error.message).toBe("invalid query string");
  });

  it("answers unknown routes with 404 NOT_FOUND", async () => {
    const res = await call("GET", "/v1/nothing-here", { key: "client" });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(errorShape("NOT_FOUND"));
  });

  it("answers a wrong method with 405 and an Allow header", async () => {
    const res = await call("DELETE", "/v1/health");
    expect(res.status).toBe(405);
    expect(res.body).toEqual(errorShape("METHOD_NOT_ALLOWED"));
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("echoes a sane X-Request-Id and mints one otherwise", async () => {
    const echoed = await call("GET", "/v1/health", { headers: { "X-Request-Id": "req-12345678" } });
    expect(echoed.headers.get("x-request-id")).toBe("req-12345678");
    const minted = await call("GET", "/v1/health", { headers: { "X-Request-Id": "bad id with spaces" } });
    expect(minted.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("authentication", () => {
  it("refuses a missing key with 401", async () => {
    const res = await call("GET", "/v1/jobs");
    expect(res.status).toBe(401);
    expect(res.body).toEqual(errorShape("UNAUTHORIZED_KEY"));
  });

  it("refuses an unknown key with 401", async () => {
    const res = await call("GET", "/v1/jobs", { headers: { "X-Api-Key": "nope" } });
    expect(res.status).toBe(401);
  });

  it("refuses a key of the wrong role with 403", async () => {
    for (const [key, path] of [
      ["miner", "/v1/jobs"],
      ["client", "/v1/miners/drain"],
      ["client", "/v1/admin/stats"],
    ] as const) {
      const res = await call(key === "miner" ? "GET" : path.includes("admin") ? "GET" : "POST", path, { key });
      expect(res.status, `${key} on ${path}`).toBe(403);
      expect(res.body).toEqual(errorShape("FORBIDDEN"));
    }
  });

  it("accepts Authorization: Bearer as well as X-Api-Key", async () => {
    const { TEST_KEYS } = await import("../helpers/test-bindings");
    const res = await call("GET", "/v1/jobs", { headers: { Authorization: `Bearer ${TEST_KEYS.client}` } });
    expect(res.status).toBe(200);
  });
});

describe("service endpoints", () => {
  it("reports health without a key", async () => {
    const res = await call("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", env: "test", version: expect.any(String), receipts: "enabled", problems: [] });
  });

  it("builds the OpenAPI document once per app (isolate), not on every request", async () => {
    const app = createApp();
    const build = vi.spyOn(app, "getOpenAPI31Document");
    const first = await app.request("/openapi.json", {}, env);
    const second = await app.request("/openapi.json", {}, env);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual(await first.json());
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("lists every route in the OpenAPI document", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const documented = new Set(
      Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const registered = createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/"))
      .map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, "{$1}")}`);
    expect(registered.length).toBeGreaterThan(25);
    for (const route of registered) expect(documented, route).toContain(route);
  });
});
