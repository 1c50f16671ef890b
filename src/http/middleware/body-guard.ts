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

/**
 * hono/body-limit trusts a Content-Length that is present. Here a body with a Content-Length is
 * read whole only when that length is allowed (over HTTP, framing ends the body there), and its
 * size is checked again once read (a Request built in-process may carry more); a body without one
 * (chunked) is counted as it streams. The bytes are read and decoded once and handed on in Hono's
 * body cache, so neither the validator nor the HMAC check nor the idempotency fingerprint reads or
 * decodes the body again.
 */
export const limitBodySize: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = c.req.raw.body;
  // Hono runs this twice for a method no route knows (e.g. QUERY); the second time the bytes are here already.
  if (!body || c.req.bodyCache.text) return next();
  const declared = c.req.header("content-length");
  if (Number(declared) > MAX_BODY_BYTES) return tooLarge(c);
  const bytes = declared === undefined ? await readCounting(body) : new Uint8Array(await c.req.raw.arrayBuffer());
  if (bytes === null || bytes.byteLength > MAX_BODY_BYTES) return tooLarge(c);
  if (bytes.byteLength === 0) {
    // An empty body becomes no body, so later checks need not read a stream to know.
    c.req.raw = new Request(c.req.raw, { body: null });
    return next();
  }
  // Hono keeps what it read as promises, by method name (its type says Partial<Body>), and its json()
  // parses its cached text: the text goes in decoded once, the bytes for arrayBuffer(), and a body
  // that parses goes in parsed for receivedJson (router.ts), so no reader decodes the bytes again.
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  const text = new TextDecoder().decode(bytes);
  cache.text = Promise.resolve(text);
  cache.arrayBuffer = Promise.resolve(bytes.buffer);
  const parsed = parseJson(text);
  if (parsed !== undefined) cache.json = Promise.resolve(parsed.value);
  await next();
};

/** The whole body, or null as soon as it is over MAX_BODY_BYTES. */
async function readCounting(body: ReadableStream<Uint8Array>): Promise<Uint8Array | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(chunk.value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of chunks) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** As Response.json() would parse it (TextDecoder has dropped a leading BOM); undefined when it is not JSON. */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

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
