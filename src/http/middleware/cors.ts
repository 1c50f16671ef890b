// CORS from ALLOW_ORIGINS. Keys travel in headers, never in cookies, so the API never sends
// Access-Control-Allow-Credentials: a browser page can call it only with a key it already holds,
// and "*" can never be combined with credentials by mistake. Preflights answer 204 here, before
// the 405 guard and before any key is asked for.
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Config } from "../../config";
import { memoized } from "../../lib/memo";
import type { AppEnv } from "../router";

export const CORS_ALLOW_HEADERS = [
  "X-Api-Key",
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "X-Miner-Id",
  "X-Request-Id",
  "X-Signature",
  "traceparent",
];
export const CORS_EXPOSE_HEADERS = ["X-Request-Id", "Retry-After", "Idempotent-Replayed", "traceparent"];
const ALLOW_METHODS = ["GET", "POST", "DELETE", "OPTIONS"];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

function allowOrigin(origins: string[]): string | ((origin: string) => string | null) {
  if (origins.includes("*")) return "*";
  const allowed = new Set(origins);
  return (origin) => (allowed.has(origin) ? origin : null);
}

const byConfig = new WeakMap<Config, MiddlewareHandler<AppEnv>>();

function corsFor(config: Config): MiddlewareHandler<AppEnv> {
  return memoized(byConfig, config, () =>
    cors({
      origin: allowOrigin(config.allowOrigins),
      allowMethods: ALLOW_METHODS,
      allowHeaders: CORS_ALLOW_HEADERS,
      exposeHeaders: CORS_EXPOSE_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      credentials: false,
    }),
  );
}

/** Needs c.get("config"): mount after the middleware that sets it. */
export const corsPolicy: MiddlewareHandler<AppEnv> = (c, next) => corsFor(c.get("config"))(c, next);
