import type { MiddlewareHandler } from "hono";
import { authenticate } from "../../auth/keys";
import type { Role } from "../../auth/principal";
import { ApiError } from "../errors";
import type { AppEnv } from "../router";

const MAX_KEY_LENGTH = 512;

export function presentedKey(headers: { header(name: string): string | undefined }): string | undefined {
  const direct = headers.header("x-api-key")?.trim();
  if (direct) return direct;
  const bearer = headers.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer || undefined;
}

/** 401 for a missing or unknown key, 403 for a known key of the wrong role. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req);
    if (!key || key.length > MAX_KEY_LENGTH) throw new ApiError("UNAUTHORIZED_KEY", "missing or unknown API key");
    const principal = await authenticate(c.get("config"), c.env.DB, key);
    if (!principal) throw new ApiError("UNAUTHORIZED_KEY", "missing or unknown API key");
    if (!roles.includes(principal.role)) throw new ApiError("FORBIDDEN", `this endpoint needs a ${roles.join(" or ")} key`);
    c.set("principal", principal);
    await next();
  };
}
