// Headers every response carries, errors and 404s included: the API serves JSON only, so the
// strictest CSP costs nothing, and no response may be framed, sniffed, cached or leak a Referer.
// A handler that sets one of these itself keeps its value (GET /v1/receipts/keys is cacheable).
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../router";

const baseline = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  xContentTypeOptions: "nosniff",
  strictTransportSecurity: "max-age=31536000; includeSubDomains",
  overwrite: false,
});

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await baseline(c, async () => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });
};
