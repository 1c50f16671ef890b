import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ApiResponse } from "./api";

const TABLES = ["jobs", "job_events", "miners", "idempotency_records"] as const;

export const json = { "content-type": "application/json" };

export async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
  return counts;
}

/** Sends the request and checks the status, the whole error body, and that no row was written. */
export async function expectRefused(
  send: () => Promise<ApiResponse>,
  status: number,
  code: string,
  details?: { field: string; issue?: unknown }[],
): Promise<ApiResponse> {
  const before = await rowCounts();
  const res = await send();
  expect(res.status).toBe(status);
  const error = details
    ? { code, message: expect.any(String), details: details.map((d) => ({ field: d.field, issue: d.issue ?? expect.any(String) })) }
    : { code, message: expect.any(String) };
  expect(res.body).toEqual({ error, request_id: res.headers.get("x-request-id") });
  expect(await rowCounts()).toEqual(before);
  return res;
}
