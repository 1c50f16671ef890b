// Every miner (GET /v1/admin/miners): status, capabilities, the jobs it holds, its last heartbeat
// report and last sign of life, with drain and undrain (POST /v1/admin/miners/{id}/drain|undrain).
import { badge, byId, el, fillTable, say, wrapCell } from "./dom.browser.js";
import { timeElement } from "./time.browser.js";

const LIMIT = 100;

/** A line people can scan: GPU names, model lists and plain values; the full JSON is the title. */
export function summarize(object) {
  if (!object || typeof object !== "object") return "—";
  const parts = Object.entries(object).map(([key, value]) => {
    if (Array.isArray(value))
      return `${key}: ${value.map((v) => (v && typeof v === "object" ? (v.name ?? JSON.stringify(v)) : v)).join(", ")}`;
    if (value && typeof value === "object") return `${key}: ${JSON.stringify(value)}`;
    return `${key}: ${value}`;
  });
  return parts.join(" · ") || "—";
}

export function createMinerList(api, { openJob, report }) {
  const table = byId("miners");

  async function act(minerId, action) {
    await api.post(`/v1/admin/miners/${encodeURIComponent(minerId)}/${action}`);
    await refresh();
  }

  function actionButton(miner) {
    const action = miner.status === "DRAINING" ? "undrain" : "drain";
    const button = el("button", { type: "button", dataset: { action } }, action === "drain" ? "Drain" : "Undrain");
    button.disabled = miner.status === "OFFLINE" && action === "drain";
    button.addEventListener("click", () => {
      button.disabled = true;
      act(miner.miner_id, action).catch((err) => {
        button.disabled = false;
        report(err);
      });
    });
    return el("td", {}, button);
  }

  const heldJobs = (ids) =>
    ids?.length
      ? wrapCell(ids.map((id) => el("button", { type: "button", className: "link", onclick: () => openJob(id) }, id)))
      : el("td", {}, "—");

  async function refresh() {
    const page = await api.get("/v1/admin/miners", { limit: LIMIT });
    fillTable(
      table,
      ["miner", "status", "region", "concurrency", "capabilities", "held jobs", "last report", "last seen", ""],
      page.items.map((m) => [
        el("code", {}, m.miner_id),
        badge(m.status),
        m.region,
        m.concurrency,
        wrapCell(summarize(m.capabilities), JSON.stringify(m.capabilities)),
        heldJobs(m.held_jobs),
        wrapCell(summarize(m.reported), JSON.stringify(m.reported)),
        timeElement(m.last_seen_at),
        actionButton(m),
      ]),
      { empty: "no miners registered" },
    );
    page.items.forEach((m, i) => {
      table.tBodies[0].rows[i].dataset.minerId = m.miner_id;
    });
    say(byId("miners-note"), page.next_cursor ? `Showing the first ${LIMIT} miners by id.` : "");
  }

  return { refresh };
}
