import type { Context, MiddlewareHandler } from "hono";
import { checkSignature } from "../../auth/hmac";
import { type Authenticated, authenticate } from "../../auth/keys";
import type { Role } from "../../auth/principal";
import { SECRET_PROBLEM_TEXT } from "../../auth/secret-box";
import { ApiError } from "../errors";
import type { AppEnv } from "../router";
import { keyLookupGuard } from "./rate-limit";

const MAX_KEY_LENGTH = 512;

export function presentedKey(headers: { header(name: string): string | undefined }): string | undefined {
  const direct = headers.header("x-api-key")?.trim();
  if (direct) return direct;
  const bearer = headers
    .header("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  return bearer || undefined;
}

/**
 * 401 for a missing or unknown key (or a bad signature where one is required), 503 for a key whose
 * HMAC secret the coordinator cannot open, 403 for the wrong role.
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req);
    if (!key || key.length > MAX_KEY_LENGTH) throw new ApiError("UNAUTHORIZED_KEY", "missing or unknown API key");
    const found = await authenticate(c.get("config"), c.env.DB, key, keyLookupGuard(c));
    if (!found) throw new ApiError("UNAUTHORIZED_KEY", "missing or unknown API key");
    await verifySignature(c, found, key);
    if (found.recordUse) c.executionCtx.waitUntil(found.recordUse());
    if (!roles.includes(found.principal.role)) throw new ApiError("FORBIDDEN", `this endpoint needs a ${roles.join(" or ")} key`);
    c.set("principal", found.principal);
    await next();
  };
}

/**
 * Keys with an HMAC secret must sign every request; with HMAC_REQUIRED every key must, and a key
 * without a secret of its own signs with the key itself. Replays are refused across isolates. A key
 * whose secret cannot be opened is refused whatever it sends: it is never served unsigned.
 */
async function verifySignature(c: Context<AppEnv>, found: Authenticated, key: string): Promise<void> {
  if (found.hmac && "problem" in found.hmac) {
    throw new ApiError(
      "SIGNING_UNAVAILABLE",
      `this key must sign its requests, but the coordinator cannot check its signatures (${SECRET_PROBLEM_TEXT[found.hmac.problem]}); an operator must fix that`,
    );
  }
  const secret = found.hmac?.secret ?? (c.get("config").hmacRequired ? key : null);
  if (secret === null) return;
  const url = new URL(c.req.url);
  const check = await checkSignature(c.req.header("x-signature"), {
    secret,
    method: c.req.method,
    pathAndQuery: url.pathname + url.search,
    minerId: c.req.header("x-miner-id"),
    idempotencyKey: c.req.header("idempotency-key"),
    body: new Uint8Array(await c.req.arrayBuffer()),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  if (!check.ok) throw signatureRefused(check.reason, check.message);
  const guard = c.env.REPLAY_GUARD.get(c.env.REPLAY_GUARD.idFromName(`principal:${found.principal.id}`));
  if (!(await guard.firstUse(check.signature, check.timestamp))) {
    throw signatureRefused("SIGNATURE_REPLAYED", "this signature was already used");
  }
}

function signatureRefused(reason: string, message: string): ApiError {
  return new ApiError("UNAUTHORIZED_KEY", message, [{ field: "x-signature", issue: reason }]);
}
