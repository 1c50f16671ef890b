// Every route of createApp() against every role: each route names who may call it, and every other
// caller is refused with the right code. The table must list every route, so a new route cannot
// ship without deciding who may call it. Requests that pass auth are made harmless (an unknown
// miner, an unknown job, an incomplete body), so the matrix changes no state other tests see.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { PAGE_ASSETS } from "../../src/routes/pages/static-assets";
import { callText, type KeyName } from "../helpers/api";

type Access = "public" | "client" | "miner" | "admin";

const ACCESS: Record<string, Access> = {
  "GET /v1/health": "public",
  "GET /v1/receipts/keys": "public",
  "POST /v1/receipts/verify": "public",
  "POST /v1/jobs": "client",
  "POST /v1/jobs/batch": "client",
  "GET /v1/jobs": "client",
  "GET /v1/jobs/:job_id": "client",
  "GET /v1/jobs/:job_id/result": "client",
  "POST /v1/jobs/:job_id/cancel": "client",
  "GET /v1/jobs/:job_id/receipt": "client",
  "GET /v1/jobs/:job_id/receipts": "client",
  "GET /v1/jobs/:job_id/events": "client",
  "POST /v1/miners/register": "miner",
  "POST /v1/miners/heartbeat": "miner",
  "POST /v1/miners/poll": "miner",
  "POST /v1/miners/:job_id/result": "miner",
  "POST /v1/miners/:job_id/fail": "miner",
  "POST /v1/miners/:job_id/progress": "miner",
  "POST /v1/miners/drain": "miner",
  "GET /v1/admin/stats": "admin",
  "GET /v1/admin/stats/history": "admin",
  "GET /v1/admin/jobs": "admin",
  "GET /v1/admin/jobs/:job_id": "admin",
  "GET /v1/admin/jobs/:job_id/receipts": "admin",
  "GET /v1/admin/jobs/:job_id/events": "admin",
  "POST /v1/admin/jobs/:job_id/cancel": "admin",
  "GET /v1/admin/miners": "admin",
  "POST /v1/admin/miners/:miner_id/drain": "admin",
  "POST /v1/admin/miners/:miner_id/undrain": "admin",
  "POST /v1/admin/jobs/:job_id/receipts": "admin",
  "POST /v1/admin/keys": "admin",
  "GET /v1/admin/keys": "admin",
  "DELETE /v1/admin/keys/:key_id": "admin",
  "GET /openapi.json": "public",
  "GET /admin": "public",
  "GET /docs": "public",
  "GET /assets/scalar/standalone.js": "public",
  // The pages' files (the dashboard's modules and stylesheet, uPlot, the icon), one route each.
  ...Object.fromEntries(Object.keys(PAGE_ASSETS).map((path) => [`GET ${path}`, "public" as const])),
  "GET /metrics": "admin",
};

const CALLERS: (KeyName | null)[] = [null, "client", "miner", "admin"];
const UNKNOWN_JOB = "0123456789abcdef0123456789abcdef";

function routesOfTheApp(): string[] {
  const seen = new Set(
    createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path}`),
  );
  return [...seen];
}

function requestFor(route: string) {
  const [method, template] = route.split(" ") as [string, string];
  const path = template.replace(":job_id", UNKNOWN_JOB).replace(":key_id", "key_unknown").replace(":miner_id", "role-matrix-nobody");
  // An incomplete body where one is read (422 once auth passes); miner calls name a miner nobody registered (404).
  const body =
    method === "GET" || method === "DELETE"
      ? undefined
      : route.endsWith("/cancel") || route.endsWith("/receipts")
        ? {}
        : { unknown_member: 1 };
  return { method, path, body, headers: path.startsWith("/v1/miners/") ? { "X-Miner-Id": "role-matrix-nobody" } : undefined };
}

describe("role matrix over every route", () => {
  it("lists every route of the app, and only those", () => {
    expect(routesOfTheApp().sort()).toEqual(Object.keys(ACCESS).sort());
  });

  for (const [route, access] of Object.entries(ACCESS)) {
    it(`${route}: ${access === "public" ? "any caller" : `${access} keys only`}`, async () => {
      const { method, path, body, headers } = requestFor(route);
      for (const caller of CALLERS) {
        const res = await callText(method, path, { key: caller, body, headers });
        const label = `${route} as ${caller ?? "no key"}`;
        if (access === "public" || caller === access) {
          expect([401, 403], label).not.toContain(res.status);
          expect(res.status, label).toBeLessThan(500);
        } else if (caller === null) {
          expect(res.status, label).toBe(401);
          expect(JSON.parse(res.text).error.code, label).toBe("UNAUTHORIZED_KEY");
        } else {
          expect(res.status, label).toBe(403);
          expect(JSON.parse(res.text).error.code, label).toBe("FORBIDDEN");
        }
      }
    });
  }
});
