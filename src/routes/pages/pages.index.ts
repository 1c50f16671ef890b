import type { Context } from "hono";
import { rateLimitPublic } from "../../http/middleware/rate-limit";
import { type AppEnv, createRouter } from "../../http/router";
import { ADMIN_HTML, ADMIN_JS } from "./admin-page";
import { DOCS_HTML, DOCS_JS } from "./docs-page";
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
pagesRouter.get("/docs", serve("text/html", DOCS_HTML));
pagesRouter.get("/assets/admin.js", serve("text/javascript", ADMIN_JS));
pagesRouter.get("/assets/docs.js", serve("text/javascript", DOCS_JS));
pagesRouter.get("/assets/pages.css", serve("text/css", PAGES_CSS));
