import type { Context } from "hono";
import { rateLimitPublic } from "../../http/middleware/rate-limit";
import { type AppEnv, createRouter } from "../../http/router";
import { ADMIN_HTML } from "./admin-page";
import { docsPage, SCALAR_SCRIPT, SCALAR_SCRIPT_PATH } from "./docs-page";
import { PAGE_ASSETS, type PageAsset } from "./static-assets";

/** Pages load only their own scripts, styles and images and talk only to this origin. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const DAY = "public, max-age=86400";

function serve({ type, body, cacheable }: PageAsset) {
  return (c: Context<AppEnv>) =>
    c.body(body, 200, {
      "Content-Type": `${type}; charset=utf-8`,
      "Content-Security-Policy": PAGE_CSP,
      "Cache-Control": cacheable ? DAY : "no-store",
    });
}

// A page load counts once against the IP's public budget; the files it loads (constant text from
// memory, over a dozen for the dashboard) are not counted, so reloading a page a few times a minute
// never leaves it half loaded.
export const pagesRouter = createRouter();
pagesRouter.use("/admin", rateLimitPublic);
pagesRouter.use("/docs", rateLimitPublic);
pagesRouter.get("/admin", serve({ type: "text/html", body: ADMIN_HTML, cacheable: false }));
pagesRouter.get("/docs", docsPage);
// The API reference's script: 4.8 MB that changes only with its package.
const files = { ...PAGE_ASSETS, [SCALAR_SCRIPT_PATH]: { type: "text/javascript", body: SCALAR_SCRIPT, cacheable: true } };
for (const [path, asset] of Object.entries(files)) pagesRouter.get(path, serve(asset));
