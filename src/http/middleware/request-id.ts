import type { MiddlewareHandler } from "hono";
import { newRequestId } from "../../lib/ids";
import type { AppEnv } from "../router";

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Echo the caller's X-Request-Id when it is sane, else mint one; every response carries it. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Hono's router hands the literal path "/*" (or "/%2A") the "*" middleware twice; keep the first
  // id, or the body and the header of the same response would disagree.
  if (c.get("requestId") !== undefined) return next();
  const given = c.req.header("x-request-id");
  const id = given && VALID_REQUEST_ID.test(given) ? given : newRequestId();
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
};
