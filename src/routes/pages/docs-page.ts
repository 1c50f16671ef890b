// The API reference page: Scalar's reference UI over the service's own /openapi.json, so it never
// disagrees with it. Everything it loads comes from this Worker (no CDN, no web fonts), so it works
// offline, and its CSP allows exactly that.
import scalarScript from "@scalar/api-reference/dist/browser/standalone.js";
import { Scalar } from "@scalar/hono-api-reference";
import type { Handler } from "hono";
import type { AppEnv } from "../../http/router";
import { newCspNonce } from "../../lib/ids";

export const SCALAR_SCRIPT_PATH = "/assets/scalar/standalone.js";
export const SCALAR_SCRIPT = scalarScript;

const REFERENCE = {
  pageTitle: "edge-coordinator API",
  url: "/openapi.json",
  cdn: SCALAR_SCRIPT_PATH,
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  mcp: { disabled: true },
  agent: { disabled: true },
} as const;

/**
 * Scripts: only the ones the page names (its Scalar bundle and the inline setup), by a per-request
 * nonce. Styles: inline, because Scalar renders <style> elements without the nonce and sets style
 * attributes, neither of which a nonce can allow. Images: the data: SVG icons of its CSS. Requests:
 * /openapi.json and "Test Request" calls, to this origin only.
 */
function docsPagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
    "img-src data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const docsPage: Handler<AppEnv> = (c, next) => {
  const nonce = newCspNonce();
  c.header("Content-Security-Policy", docsPagePolicy(nonce));
  c.header("Cache-Control", "no-store");
  return Scalar<AppEnv>({ ...REFERENCE, nonce })(c, next);
};
