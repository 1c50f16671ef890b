import { describe, expect, it } from "vitest";
import { call, callText, type KeyName, minerCall, registerMiner, submit, uniqueName } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";

const get = (path: string, key?: KeyName) => callText("GET", path, { key });

describe("operator pages", () => {
  it("serves the admin dashboard and its files, ours never cached, with a CSP that allows only this origin's files", async () => {
    const page = await get("/admin");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.text).not.toContain(TEST_KEYS.admin);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=/);
    const named = [...page.text.matchAll(/\b(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
    expect(named).toEqual(["/favicon.svg", "/assets/uplot/uPlot.min.css", "/assets/pages.css", "/assets/admin/main.browser.js"]);

    // Every module the entry imports, and the modules they import, are served.
    const modules = new Set<string>();
    const pending = ["/assets/admin/main.browser.js"];
    while (pending.length) {
      const path = pending.pop()!;
      if (modules.has(path)) continue;
      modules.add(path);
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("text/javascript; charset=utf-8");
      for (const [, spec] of res.text.matchAll(/^import [^"]*"([^"]+)";$/gm)) pending.push(new URL(spec!, `https://x${path}`).pathname);
    }
    expect(modules).toContain("/assets/uplot/uPlot.esm.js");
    expect(modules.size).toBeGreaterThan(8);

    for (const path of named) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      const vendored = path.startsWith("/assets/uplot/") || path.startsWith("/favicon");
      expect(res.headers.get("cache-control"), path).toBe(vendored ? "public, max-age=86400" : "no-store");
    }
    expect((await get("/assets/admin/main.browser.js")).text).toContain("/v1/admin/stats");
    const icon = await get("/favicon.ico");
    expect([icon.status, icon.headers.get("content-type")]).toEqual([200, "image/svg+xml; charset=utf-8"]);
  });

  it("serves the API reference page, whose script comes from this Worker, with a CSP that allows only that", async () => {
    const page = await get("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    const sources = scripts.flatMap((attributes) => [...attributes.matchAll(/\bsrc="([^"]+)"/g)].map((m) => m[1]!));
    expect(sources).toEqual(["/assets/scalar/standalone.js"]);
    expect(page.text).not.toMatch(/https?:\/\//);
    expect(page.text).toContain('"url": "/openapi.json"');

    // Every script of the page carries the nonce its CSP names, and nothing else may load.
    const csp = page.headers.get("content-security-policy")!;
    const nonce = csp.match(/script-src 'nonce-([0-9a-f]{32})'/)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    for (const attributes of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
    expect(page.text).toContain(`<meta property="csp-nonce" content="${nonce}" />`);
    expect((await get("/docs")).headers.get("content-security-policy")).not.toContain(nonce);

    const script = await get(sources[0]!);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.text.length).toBeGreaterThan(1_000_000);
    expect(script.text).toContain("createApiReference");
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
