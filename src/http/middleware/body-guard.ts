// Refuses what must never reach a parser: bodies over 1 MiB (413, counted as they stream, not
// trusted from Content-Length alone) and bodies that are not JSON (415).
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "../errors";
import type { AppEnv } from "../router";

export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

export const limitBodySize: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) => errorResponse(c, "PAYLOAD_TOO_LARGE", `request body is over ${MAX_BODY_BYTES} bytes`),
});

export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header("content-type");
  const length = c.req.header("content-length");
  const hasBody = c.req.raw.body !== null && length !== "0";
  if (hasBody && type !== undefined && !JSON_TYPE.test(type)) {
    return errorResponse(c, "UNSUPPORTED_MEDIA_TYPE", "request body must be application/json");
  }
  if (hasBody && type === undefined && length !== undefined) {
    return errorResponse(c, "UNSUPPORTED_MEDIA_TYPE", "set Content-Type: application/json");
  }
  await next();
};
