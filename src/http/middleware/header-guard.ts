// Refuses oversized request headers before anything reads them: more than MAX_HEADERS distinct
// headers, or one header over MAX_HEADER_BYTES: 431 HEADERS_TOO_LARGE, naming the header.
import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../errors";
import type { AppEnv } from "../router";

export const MAX_HEADERS = 64;
export const MAX_HEADER_BYTES = 8 * 1024;
const MAX_NAME_IN_DETAILS = 64;

export const limitHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  let count = 0;
  for (const [name, value] of c.req.raw.headers) {
    count += 1;
    if (name.length + value.length > MAX_HEADER_BYTES) {
      const field = name.length > MAX_NAME_IN_DETAILS ? `${name.slice(0, MAX_NAME_IN_DETAILS)}...` : name;
      return errorResponse(c, "HEADERS_TOO_LARGE", `request header ${field} is over ${MAX_HEADER_BYTES} bytes`, [
        { field, issue: `over ${MAX_HEADER_BYTES} bytes` },
      ]);
    }
  }
  if (count > MAX_HEADERS) {
    return errorResponse(c, "HEADERS_TOO_LARGE", `more than ${MAX_HEADERS} request headers`, [
      { field: "(headers)", issue: `${count} headers; at most ${MAX_HEADERS}` },
    ]);
  }
  await next();
};
