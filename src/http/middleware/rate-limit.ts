// Rate limits through the Workers Rate Limiting binding: keyed callers are counted per principal id
// in their role's namespace, the public endpoints and failed key lookups per client IP. Each request is counted once, when it
// arrives, so a long-poll costs one unit however long it waits. The binding says only yes or no, not
// when the window resets, so Retry-After is the whole period. A limiter that errors lets the request
// through: losing the rate limit for a moment is better than refusing every caller. Counts are
// kept per Cloudflare location (the binding's design), so a limit is per principal per location.

import type { Context, MiddlewareHandler } from "hono";
import type { LookupGuard } from "../../auth/keys";
import type { Role } from "../../auth/principal";
import { ExpiringMap } from "../../lib/expiring-map";
import { logger } from "../../lib/log";
import { ApiError } from "../errors";
import type { AppEnv } from "../router";

/** Must equal `simple.period` of every [[ratelimits]] binding in wrangler.toml. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

type LimiterName = "RATE_LIMIT_CLIENT" | "RATE_LIMIT_MINER" | "RATE_LIMIT_ADMIN" | "RATE_LIMIT_PUBLIC";

export const LIMITER_BY_ROLE: Record<Role, LimiterName> = {
  client: "RATE_LIMIT_CLIENT",
  miner: "RATE_LIMIT_MINER",
  admin: "RATE_LIMIT_ADMIN",
};

const UNKNOWN_IP = "unknown";

async function allowed(c: Context<AppEnv>, name: LimiterName, key: string): Promise<boolean> {
  const limiter = c.env[name];
  if (!limiter) return true;
  try {
    return (await limiter.limit({ key })).success;
  } catch (err) {
    logger(c.get("config").logLevel).warn("rate limiter failed; request let through", {
      request_id: c.get("requestId"),
      limiter: name,
      error: err instanceof Error ? err.message : String(err),
    });
    return true;
  }
}

function refuse(): never {
  throw new ApiError("RATE_LIMITED", `too many requests; retry in ${RATE_LIMIT_PERIOD_SECONDS} s`, undefined, {
    "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS),
  });
}

/** Chain right after requireRole(...): counts the authenticated principal in its role's namespace. */
export const rateLimitPrincipal: MiddlewareHandler<AppEnv> = async (c, next) => {
  const principal = c.get("principal");
  if (principal && !(await allowed(c, LIMITER_BY_ROLE[principal.role], principal.id))) refuse();
  await next();
};

/**
 * The key an IP is counted under. An IPv6 caller usually holds a whole /64, so it is counted as
 * its /64; anything that does not parse is counted as the text it is.
 */
export function ipKey(ip: string | undefined): string {
  const text = ip?.trim().toLowerCase() || UNKNOWN_IP;
  if (!text.includes(":") || text.includes(".")) return `ip:${text}`;
  const halves = text.replace(/%.*$/, "").split("::");
  if (halves.length > 2) return `ip:${text}`;
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - left.length - right.length;
  const groups = halves.length === 2 ? [...left, ...Array<string>(Math.max(missing, 0)).fill("0"), ...right] : left;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return `ip:${text}`;
  return `ip6:${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

const IP_MEMORY_CAPACITY = 10_000;
/** IPs whose failed key lookups went over the public limit, until that period is over. */
const failedLookupsOverLimit = new ExpiringMap<string, true>(IP_MEMORY_CAPACITY);

/**
 * What a D1 key lookup costs the caller's IP. Only a lookup that finds nothing is counted (in the
 * public namespace, as `lookup:<ip>`), so valid keys are limited per principal whatever IP they
 * share. Once an IP's failed lookups are refused, this isolate refuses its lookups (429) before
 * reading D1 until the period is over, except for keys it has recently found valid: a flood of
 * made-up keys costs bounded D1 reads and does not lock out a known key on the same IP.
 */
export function keyLookupGuard(c: Context<AppEnv>, now = Date.now()): LookupGuard {
  const ip = ipKey(c.req.header("cf-connecting-ip"));
  return {
    async beforeLookup(knownValid) {
      if (!knownValid && failedLookupsOverLimit.get(ip, now)) refuse();
    },
    async afterFailedLookup() {
      if (await allowed(c, "RATE_LIMIT_PUBLIC", `lookup:${ip}`)) return;
      failedLookupsOverLimit.set(ip, true, now + RATE_LIMIT_PERIOD_SECONDS * 1000);
      refuse();
    },
  };
}

/** For endpoints without a key: counts the caller's IP (CF-Connecting-IP is set by Cloudflare's edge). */
export const rateLimitPublic: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!(await allowed(c, "RATE_LIMIT_PUBLIC", ipKey(c.req.header("cf-connecting-ip"))))) refuse();
  await next();
};
