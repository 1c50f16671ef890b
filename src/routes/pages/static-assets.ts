// The files our pages load, served by this Worker (no CDN): the dashboard's modules and stylesheet,
// uPlot for its charts, and the icon. Each is imported as text (wrangler.toml's [[rules]], whose
// module declarations `wrangler types` writes into worker-configuration.d.ts) and served under the
// path the page and the modules name.

import chartScript from "uplot/dist/uPlot.esm.js";
import chartCss from "uplot/dist/uPlot.min.css";
import api from "./assets/admin/api.browser.js";
import charts from "./assets/admin/charts.browser.js";
import dom from "./assets/admin/dom.browser.js";
import jobDetail from "./assets/admin/job-detail.browser.js";
import jobStream from "./assets/admin/job-stream.browser.js";
import jobs from "./assets/admin/jobs.browser.js";
import keys from "./assets/admin/keys.browser.js";
import main from "./assets/admin/main.browser.js";
import miners from "./assets/admin/miners.browser.js";
import overview from "./assets/admin/overview.browser.js";
import time from "./assets/admin/time.browser.js";
import favicon from "./assets/favicon.svg";
import pagesCss from "./assets/pages.css";

export interface PageAsset {
  type: string;
  body: string;
  /** Files of a dependency change only with it: browsers may keep them for a day. Ours are never cached. */
  cacheable: boolean;
}

const ADMIN_MODULES = { api, charts, dom, "job-detail": jobDetail, "job-stream": jobStream, jobs, keys, main, miners, overview, time };
const JS = "text/javascript";

export const ADMIN_SCRIPT = "/assets/admin/main.browser.js";
export const CHART_SCRIPT = "/assets/uplot/uPlot.esm.js";
export const ADMIN_STYLES = ["/assets/uplot/uPlot.min.css", "/assets/pages.css"];

export const PAGE_ASSETS: Record<string, PageAsset> = {
  ...Object.fromEntries(
    Object.entries(ADMIN_MODULES).map(([name, body]) => [`/assets/admin/${name}.browser.js`, { type: JS, body, cacheable: false }]),
  ),
  [CHART_SCRIPT]: { type: JS, body: chartScript, cacheable: true },
  "/assets/uplot/uPlot.min.css": { type: "text/css", body: chartCss, cacheable: true },
  "/assets/pages.css": { type: "text/css", body: pagesCss, cacheable: false },
  // Browsers ask for /favicon.ico on pages that name no icon (the API reference): the same SVG.
  "/favicon.svg": { type: "image/svg+xml", body: favicon, cacheable: true },
  "/favicon.ico": { type: "image/svg+xml", body: favicon, cacheable: true },
};
