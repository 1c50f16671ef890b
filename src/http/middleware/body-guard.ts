// Refuses what must never reach a parser: bodies over 1 MiB (413, counted as they stream, not
// trusted from Content-Length alone) and bodies that are not JSON (415). The JSON test is exactly
// the one @hono/zod-openapi applies, so its own media-type gate (which throws a bare 415 that
// onError does not know) never sees a request this guard let through.
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse, MAX_BODY_BYTES, PAYLOAD_TOO_LARGE_MESSAGE } from "../errors";
import type { AppEnv } from "../router";

const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const tooLarge = (c: Context<AppEnv>) => errorResponse(c, "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE_MESSAGE);

// hono/body-limit trusts a Content-Length that is present; this counts every body as it streams
// (and refuses at once when Content-Length already says too much), then hands on the bytes it read.
export const limitBodySize: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = c.req.raw.body;
  if (!body) return next();
  if (Number(c.req.header("content-length")) > MAX_BODY_BYTES) return tooLarge(c);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return tooLarge(c);
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of chunks) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  // An empty body becomes no body, so later checks need not read a stream to know.
  c.req.raw = new Request(c.req.raw, { body: size > 0 ? bytes : null });
  await next();
};

/** Runs after limitBodySize, which leaves c.req.raw.body null exactly when there is no body. */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header("content-type");
  const hasBody = c.req.raw.body !== null;
  if (type !== undefined && !JSON_TYPE.test(type) && (hasBody || BODY_METHODS.has(c.req.method))) {
    return errorResponse(c, "UNSUPPORTED_MEDIA_TYPE", "request body must be application/json");
  }
  if (hasBody && type === undefined) {
    return errorResponse(c, "UNSUPPORTED_MEDIA_TYPE", "set Content-Type: application/json");
  }
  await next();
};
