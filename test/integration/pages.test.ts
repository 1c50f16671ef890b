import { describe, expect, it } from "vitest";
import { call, callText, type KeyName, minerCall, registerMiner, submit, uniqueName } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";

const get = (path: string, key?: KeyName) => callText("GET", path, { key });

describe("operator pages", () => {
  it("serves the admin dashboard and its assets, never cached, with a CSP that allows only its own files", async () => {
    const page = await get("/admin");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.text).toContain('<script src="/assets/admin.js" defer>');
    expect(page.text).not.toContain(TEST_KEYS.admin);
    for (const asset of ["/assets/admin.js", "/assets/docs.js", "/assets/pages.css"]) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    expect((await get("/assets/admin.js")).text).toContain("/v1/admin/stats");
  });

  it("serves the API reference page, which renders /openapi.json", async () => {
    const page = await get("/docs");
    expect(page.status).toBe(200);
    expect(page.text).toContain("/assets/docs.js");
    expect((await get("/assets/docs.js")).text).toContain('fetch("/openapi.json")');
  });
});

describe("GET /metrics", () => {
  it("needs an admin key", async () => {
    expect((await call("GET", "/metrics")).status).toBe(401);
    expect((await call("GET", "/metrics", { key: "client" })).status).toBe(403);
  });

  it("answers Prometheus text with jobs by state, miners by status and per-region gauges", async () => {
    await submit({ payload: {}, constraints: { region: "eu-west", gpu: "metrics-nobody" } });
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region: "eu-west" });
    await minerCall(minerId, "/v1/miners/heartbeat", {});
    const res = await get("/metrics", "admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    expect(res.text).toMatch(/^# TYPE edge_coordinator_jobs gauge$/m);
    expect(res.text).toMatch(/^edge_coordinator_jobs\{state="QUEUED"\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^edge_coordinator_miners\{status="ONLINE"\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^edge_coordinator_region_queued_jobs\{region="eu-west"\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^edge_coordinator_region_online_miners\{region="eu-west"\} [1-9]\d*$/m);
  });
});
