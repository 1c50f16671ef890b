import { htmlPage } from "./page-shell";

// The admin dashboard: a static page whose script asks for an admin key (kept in sessionStorage
// only) and reads the admin API with it. Nothing secret is in the page itself.
export const ADMIN_HTML = htmlPage(
  "edge-coordinator admin",
  "/assets/admin.js",
  `<header><h1>edge-coordinator</h1><span id="status">signed out</span></header>
<form id="login">
  <label>Admin API key <input id="key" type="password" autocomplete="off" required></label>
  <button type="submit">Open dashboard</button>
</form>
<main id="dashboard" hidden>
  <section><h2>Jobs</h2><div id="job-totals" class="cards"></div></section>
  <section><h2>Regions</h2><table id="regions"></table></section>
  <section><h2>Shards</h2><table id="shards"></table></section>
  <section><h2>Miners</h2><table id="miners"></table></section>
  <section><h2>Recent jobs</h2><table id="jobs"></table></section>
  <section id="job-detail" hidden><h2>Job <code id="job-detail-id"></code></h2><table id="events"></table></section>
  <p class="muted">Refreshes every 5 s. <button id="logout" type="button">Sign out</button></p>
</main>`,
);

export const ADMIN_JS = `"use strict";
const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("adminKey") };

async function api(path) {
  const res = await fetch(path, { headers: { "X-Api-Key": state.key }, cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.code + ": " + body.error.message : res.status);
  return body;
}

function cell(row, text, tag) {
  const td = document.createElement(tag || "td");
  td.textContent = text == null ? "" : String(text);
  row.appendChild(td);
  return td;
}

function table(el, headers, rows, onClick) {
  el.replaceChildren();
  const head = el.insertRow();
  headers.forEach((h) => cell(head, h, "th"));
  rows.forEach((values, i) => {
    const row = el.insertRow();
    values.forEach((v) => cell(row, v));
    if (onClick) { row.className = "clickable"; row.onclick = () => onClick(i); }
  });
}

async function showJob(jobId) {
  const job = await api("/v1/admin/jobs/" + jobId);
  $("job-detail").hidden = false;
  $("job-detail-id").textContent = job.job_id + " (" + job.state + ")";
  table($("events"), ["#", "event", "from", "to", "at", "miner"], job.events.map((e) => [e.seq, e.type, e.from_state, e.to_state, e.at, e.miner_id]));
}

async function refresh() {
  try {
    const [stats, miners, jobs] = await Promise.all([api("/v1/admin/stats"), api("/v1/admin/miners?limit=100"), api("/v1/admin/jobs?limit=25")]);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
    const cards = $("job-totals");
    cards.replaceChildren();
    const totals = Object.assign({ total: stats.jobs.total, active: stats.jobs.active, "avg ms": stats.average_job_duration_ms }, stats.jobs.by_state);
    Object.entries(totals).forEach(([k, v]) => { const d = document.createElement("div"); d.className = "card"; cell(d, v ?? "-", "strong"); cell(d, k, "span"); cards.appendChild(d); });
    table($("regions"), ["region", "queued", "running", "online miners", "oldest queued (s)"], stats.regions.map((r) => [r.region, r.queued, r.running, r.online_miners, r.oldest_queued_age_seconds]));
    table($("shards"), ["region", "shard", "queued", "running", "online miners", "oldest queued (s)", "spilled in", "stolen in"], stats.shards.map((s) => [s.region, s.shard, s.queued, s.running, s.online_miners, s.oldest_queued_age_seconds, s.spilled_in, s.stolen_in]));
    table($("miners"), ["miner", "status", "region", "concurrency", "last seen"], miners.items.map((m) => [m.miner_id, m.status, m.region, m.concurrency, m.last_seen_at]));
    table($("jobs"), ["job", "state", "region", "miner", "attempts", "requested"], jobs.items.map((j) => [j.job_id, j.state, j.region, j.assigned_miner_id, j.attempts + "/" + j.max_attempts, j.requested_at]), (i) => showJob(jobs.items[i].job_id));
  } catch (err) {
    $("status").textContent = String(err.message || err);
  }
}

function open() {
  $("login").hidden = true;
  $("dashboard").hidden = false;
  refresh();
  state.timer = setInterval(refresh, 5000);
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  state.key = $("key").value.trim();
  sessionStorage.setItem("adminKey", state.key);
  open();
});
$("logout").addEventListener("click", () => {
  sessionStorage.removeItem("adminKey");
  clearInterval(state.timer);
  location.reload();
});
if (state.key) open();
`;
