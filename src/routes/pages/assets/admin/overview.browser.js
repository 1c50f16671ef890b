// The figures of GET /v1/admin/stats: a card for every job state and miner status (zeros included),
// and the per-region (from D1) and per-shard (live) queue figures.
import { byId, el, fillTable } from "./dom.browser.js";
import { duration } from "./time.browser.js";

const card = (label, value) =>
  el("div", { className: "card", dataset: { card: label } }, [el("strong", {}, value ?? "—"), el("span", {}, label)]);
const seconds = (s) => (s === null ? "—" : `${s} s`);

export function renderStats(stats) {
  byId("job-cards").replaceChildren(
    ...Object.entries(stats.jobs.by_state).map(([state, count]) => card(state, count)),
    card("total", stats.jobs.total),
    card("active", stats.jobs.active),
    card("avg run", duration(stats.average_job_duration_ms)),
  );
  byId("miner-cards").replaceChildren(
    ...Object.entries(stats.miners.by_status).map(([status, count]) => card(status, count)),
    card("spills", stats.spills),
    card("steals", stats.steals),
  );
  fillTable(
    byId("regions"),
    ["region", "queued", "running", "online miners", "oldest queued"],
    stats.regions.map((r) => [r.region, r.queued, r.running, r.online_miners, seconds(r.oldest_queued_age_seconds)]),
  );
  fillTable(
    byId("shards"),
    ["region", "shard", "queued", "running", "online miners", "oldest queued", "spilled in", "stolen in", "handoffs pending"],
    stats.shards.map((s) => [
      s.region,
      s.shard,
      s.queued,
      s.running,
      s.online_miners,
      seconds(s.oldest_queued_age_seconds),
      s.spilled_in,
      s.stolen_in,
      s.handoffs_pending,
    ]),
  );
}
