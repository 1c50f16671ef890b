import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodError } from "zod";
import type { Principal } from "../auth/principal";
import type { Config } from "../config";
import { inputProblems } from "../lib/json-limits";
import type { Span } from "../lib/trace-context";
import { type ErrorCode, errorResponse, zodDetails } from "./errors";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** This request's span: every job step it causes is recorded with it. */
    span: Span;
    /** A job this request made (a submit), for its log line; routes with a job_id path parameter need not set it. */
    jobId: string;
    principal: Principal;
    config: Config;
    /** The JSON body as received, before zod made its copy: what an idempotency fingerprint covers. */
    receivedJson: unknown;
  };
};

/** The parsed body as the client sent it. Only a body the validator has already parsed gets here. */
async function receivedJson(c: Context<AppEnv>): Promise<unknown> {
  if (c.req.raw.body === null) return {};
  return (await c.req.bodyCache.json) ?? c.req.json();
}

const PART_NAMES: Record<string, string> = { json: "request body", query: "query string", param: "path", header: "request headers" };

/** What a refusal names: the part of the request that failed (never "json": the JSON parsed fine). */
const invalidMessage = (target: string): string => `invalid ${PART_NAMES[target] ?? target}`;

const NOT_FOUND_BY_PARAM: Record<string, ErrorCode> = { job_id: "JOB_NOT_FOUND", miner_id: "MINER_NOT_FOUND" };

function notFoundCode(error: ZodError): ErrorCode {
  const param = String(error.issues[0]?.path[0] ?? "");
  return NOT_FOUND_BY_PARAM[param] ?? "NOT_FOUND";
}

/**
 * Every router shares one validation hook, so a refusal always reads the same way and no route
 * can skip the input checks of json-limits.ts: they run on what was received, not on zod's copy
 * (which drops a __proto__ member), and before the schema's own verdict.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: async (result, c) => {
      // Query, path and header values reach handlers only as zod passed them (strings unchanged).
      let input: unknown = result.success ? result.data : undefined;
      if (result.target === "json") {
        input = await receivedJson(c);
        c.set("receivedJson", input);
      }
      const problems = inputProblems(input);
      if (problems.length > 0) return errorResponse(c, "INVALID_PAYLOAD", invalidMessage(result.target), problems);
      if (result.success) return;
      // A path id of any other shape names nothing: 404, as the AITBC service answers (its SDK reads 404 as "none").
      if (result.target === "param") return errorResponse(c, notFoundCode(result.error), "not found");
      return errorResponse(c, "INVALID_PAYLOAD", invalidMessage(result.target), zodDetails(result.error));
    },
  });
}

/**
 * For a route whose body is a document to judge, never stored or echoed (POST /v1/receipts/verify):
 * only the route's schema applies, so a lone surrogate or a __proto__ member gets a verdict about
 * the document instead of a refusal of the request.
 */
// biome-ignore lint/suspicious/noExplicitAny: a hook for any route, typed as OpenAPIHono types its defaultHook
export const schemaOnlyHook: Hook<any, AppEnv, any, any> = (result, c) => {
  if (!result.success) return errorResponse(c, "INVALID_PAYLOAD", invalidMessage(result.target), zodDetails(result.error));
};
