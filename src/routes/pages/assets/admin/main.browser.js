// The dashboard's entry: signing in (the key is checked against GET /v1/admin/stats before anything
// is shown; it is kept in sessionStorage only), then each part refreshed on its own schedule while
// the tab is visible. Admin keys are rate-limited (60 requests a minute by default), so the
// schedules stay well under that: stats, jobs, miners and the charts every 10 s, an open job every
// 4 s (about 40 a minute with a job open), keys when they change.
import { createApi, describe } from "./api.browser.js";
import { createCharts } from "./charts.browser.js";
import { byId, say } from "./dom.browser.js";
import { createJobDetail } from "./job-detail.browser.js";
import { createJobList } from "./jobs.browser.js";
import { createKeyList } from "./keys.browser.js";
import { createMinerList } from "./miners.browser.js";
import { renderStats } from "./overview.browser.js";
import { refreshAges, timeElement } from "./time.browser.js";

const KEY_STORAGE = "adminKey";
const SIGN_OUT_REASON = "signOutReason";
const OVERVIEW_MS = 10_000;

/** Why a key was refused, at the sign-in form. */
function refusal(err) {
  if (err.status === 401) return `This key was not accepted (${describe(err)}). Check it and try again.`;
  if (err.status === 403) return `This is not an admin key (${describe(err)}). The dashboard needs a key with the admin role.`;
  return `Could not sign in: ${describe(err)}`;
}

/** Runs `task` every `ms` while the tab is visible (and once at once); `stop()` ends it. */
function every(ms, task) {
  let timer = null;
  const run = async () => {
    if (!document.hidden) await task();
    timer = setTimeout(run, ms);
  };
  run();
  return () => clearTimeout(timer);
}

/** Back to the sign-in form, with `message` shown there (e.g. the key was revoked meanwhile). */
function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  if (message) sessionStorage.setItem(SIGN_OUT_REASON, message);
  location.reload();
}

function openDashboard(api, firstStats) {
  const status = byId("status");
  const report = (err) => {
    if (err?.status === 401) {
      signOut(refusal(err));
      return;
    }
    status.replaceChildren(describe(err));
    status.className = "error";
  };
  const updated = () => {
    status.replaceChildren("updated ", timeElement(new Date().toISOString()));
    status.className = "muted";
  };

  const detail = createJobDetail(api, { onChanged: () => refreshOverview(), report });
  const openJob = (jobId) => detail.show(jobId).catch(report);
  const jobs = createJobList(api, { openJob, report });
  const miners = createMinerList(api, { openJob, report });
  const keys = createKeyList(api);
  const charts = createCharts(api);

  const showStats = (stats) => {
    renderStats(stats);
    jobs.offer(
      Object.keys(stats.jobs.by_state),
      stats.regions.map((r) => r.region),
    );
  };
  async function refreshOverview() {
    try {
      const [stats] = await Promise.all([api.get("/v1/admin/stats"), jobs.refresh(), miners.refresh(), charts.refresh()]);
      showStats(stats);
      updated();
    } catch (err) {
      report(err);
    }
  }

  byId("login").hidden = true;
  byId("dashboard").hidden = false;
  byId("logout").hidden = false;
  showStats(firstStats);
  every(OVERVIEW_MS, refreshOverview);
  keys.refresh();
  setInterval(refreshAges, 1000);
}

async function signIn(key) {
  const api = createApi(key);
  try {
    const stats = await api.get("/v1/admin/stats");
    sessionStorage.setItem(KEY_STORAGE, key);
    say(byId("login-error"), "");
    openDashboard(api, stats);
  } catch (err) {
    sessionStorage.removeItem(KEY_STORAGE);
    say(byId("login-error"), refusal(err));
    byId("key").focus();
  }
}

byId("login").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(byId("key").value.trim());
});
byId("logout").addEventListener("click", () => signOut());

const reason = sessionStorage.getItem(SIGN_OUT_REASON);
sessionStorage.removeItem(SIGN_OUT_REASON);
if (reason) say(byId("login-error"), reason);
const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) signIn(saved);
