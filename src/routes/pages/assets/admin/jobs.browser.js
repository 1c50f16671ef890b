// Every client's jobs (GET /v1/admin/jobs), newest first, filtered by state, region, miner and
// client, a page at a time: "Next" follows next_cursor, "Previous" goes back to the cursor before.
import { badge, byId, el, fillTable } from "./dom.browser.js";
import { timeElement } from "./time.browser.js";

const PAGE_SIZE = 20;
const TYPING_PAUSE_MS = 400;

/** Keeps a select's options equal to `values` (after its first, "any"), and its choice if still offered. */
function offer(select, values) {
  const current = [...select.options].slice(1).map((o) => o.value);
  if (values.join() === current.join()) return;
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...values.map((v) => el("option", { value: v }, v)));
  select.value = values.includes(chosen) ? chosen : "";
}

export function createJobList(api, { openJob, report }) {
  const form = byId("job-filters");
  const table = byId("jobs");
  // cursors[i] is the cursor of page i + 1 (undefined for the first).
  let cursors = [undefined];
  let nextCursor = null;
  let typing = null;

  const filters = () => Object.fromEntries(new FormData(form));

  async function refresh() {
    const page = await api.get("/v1/admin/jobs", { ...filters(), limit: PAGE_SIZE, cursor: cursors.at(-1) });
    nextCursor = page.next_cursor;
    const traced = page.items.some((j) => j.trace_id);
    fillTable(
      table,
      ["job", "state", "region", "miner", "client", "attempts", "requested", ...(traced ? ["trace"] : [])],
      page.items.map((j) => [
        el("code", {}, j.job_id),
        badge(j.state),
        j.region,
        j.assigned_miner_id,
        el("code", {}, j.client_id),
        `${j.attempts}/${j.max_attempts}`,
        timeElement(j.requested_at),
        ...(traced ? [j.trace_id ? el("code", {}, j.trace_id) : null] : []),
      ]),
      { onOpen: (i) => openJob(page.items[i].job_id), empty: "no jobs match" },
    );
    page.items.forEach((j, i) => {
      table.tBodies[0].rows[i].dataset.jobId = j.job_id;
    });
    byId("jobs-page").textContent = `page ${cursors.length}`;
    byId("jobs-prev").disabled = cursors.length === 1;
    byId("jobs-next").disabled = !nextCursor;
  }

  function restart() {
    cursors = [undefined];
    refresh().catch(report);
  }

  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", (e) => {
    if (e.target instanceof HTMLSelectElement) restart();
  });
  form.addEventListener("input", (e) => {
    if (e.target instanceof HTMLSelectElement) return;
    clearTimeout(typing);
    typing = setTimeout(restart, TYPING_PAUSE_MS);
  });
  byId("jobs-next").addEventListener("click", () => {
    if (!nextCursor) return;
    cursors.push(nextCursor);
    refresh().catch(report);
  });
  byId("jobs-prev").addEventListener("click", () => {
    if (cursors.length > 1) cursors.pop();
    refresh().catch(report);
  });

  return {
    refresh,
    /** The states and regions the filters offer, as the stats name them. */
    offer(states, regions) {
      offer(form.elements.state, states);
      offer(form.elements.region, regions);
    },
  };
}
