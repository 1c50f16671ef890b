import type { Context } from "hono";
import { rateLimitPublic } from "../../http/middleware/rate-limit";
import { type AppEnv, createRouter } from "../../http/router";
import { ADMIN_HTML, ADMIN_JS } from "./admin-page";
import { docsPage, SCALAR_SCRIPT, SCALAR_SCRIPT_PATH } from "./docs-page";
import { PAGES_CSS } from "./page-shell";

/** Pages load only their own script and style and talk only to this origin. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function serve(type: string, body: string) {
  return (c: Context<AppEnv>) =>
    c.body(body, 200, { "Content-Type": `${type}; charset=utf-8`, "Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store" });
}

export const pagesRouter = createRouter();
pagesRouter.use("/admin", rateLimitPublic);
pagesRouter.use("/docs", rateLimitPublic);
pagesRouter.use("/assets/*", rateLimitPublic);
pagesRouter.get("/admin", serve("text/html", ADMIN_HTML));
pagesRouter.get("/docs", docsPage);
pagesRouter.get("/assets/admin.js", serve("text/javascript", ADMIN_JS));
// 4.8 MB that changes only with the package: browsers may keep it for a day.
pagesRouter.get(SCALAR_SCRIPT_PATH, (c) =>
  c.body(SCALAR_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=86400" }),
);
pagesRouter.get("/assets/pages.css", serve("text/css", PAGES_CSS));
