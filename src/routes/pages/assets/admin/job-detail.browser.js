// One job in a dialog, read again every few seconds while it is open: its facts, payload, result,
// error and history (GET /v1/admin/jobs/{id}), its streamed progress and output (job-stream), its
// receipts (GET /v1/admin/jobs/{id}/receipts) with verify (POST /v1/receipts/verify) and re-issue
// (POST /v1/admin/jobs/{id}/receipts), and cancel (POST /v1/admin/jobs/{id}/cancel).
import { describe } from "./api.browser.js";
import { badge, byId, confirmFirst, el, fillTable, pretty, say } from "./dom.browser.js";
import { followJob } from "./job-stream.browser.js";
import { timeElement } from "./time.browser.js";

const REFRESH_MS = 4000;
const ACTIVE = ["QUEUED", "RUNNING"];

function renderFacts(job) {
  const facts = [
    ["State", badge(job.state)],
    ["Client", el("code", {}, job.client_id)],
    ["Submitted to", job.region],
    ["Queued in", `${job.queued_region} shard ${job.queued_shard}`],
    ["Ran in", job.ran_region],
    ["Miner", job.assigned_miner_id],
    ["Attempts", `${job.attempts} of ${job.max_attempts} failed`],
    ["Priority", job.priority],
    ["Constraints", el("code", {}, JSON.stringify(job.constraints))],
    ["Requested", timeElement(job.requested_at)],
    ["Started", timeElement(job.started_at)],
    ["Completed", timeElement(job.completed_at)],
    ["Expires", timeElement(job.expires_at)],
    ...(job.trace_id ? [["Trace id", el("code", {}, job.trace_id)]] : []),
  ];
  byId("job-facts").replaceChildren(...facts.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value ?? "—")]));
  say(byId("job-error"), job.error ? `${job.error.code}: ${job.error.message}` : "");
  byId("job-payload").textContent = pretty(job.payload);
  byId("job-result").textContent = job.result === null || job.result === undefined ? "none yet" : pretty(job.result);
}

function renderEvents(events) {
  const traced = events.some((e) => e.trace_id || e.span_id);
  fillTable(
    byId("job-events"),
    ["#", "event", "state", "at", "miner", "detail", ...(traced ? ["trace id", "span id"] : [])],
    events.map((e) => [
      e.seq,
      e.type,
      `${e.from_state ?? "·"} → ${e.to_state}`,
      timeElement(e.at),
      e.miner_id,
      e.detail ? el("code", {}, JSON.stringify(e.detail)) : null,
      ...(traced ? [e.trace_id ? el("code", {}, e.trace_id) : null, e.span_id ? el("code", {}, e.span_id) : null] : []),
    ]),
  );
}

export function createJobDetail(api, { onChanged, report }) {
  const dialog = byId("job-detail");
  let open = null; // the open job: { jobId, timer, stream, output, progress, problem, attempt, receiptsLoaded }

  const actionResult = (text) => (byId("job-action-result").textContent = text);

  function verifyButton(receipt, outcome) {
    const button = el("button", { type: "button" }, "Verify");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const answer = await api.post("/v1/receipts/verify", receipt);
        outcome.textContent = answer.valid ? "valid: signature and keys check out" : `not valid: ${answer.reasons.join("; ")}`;
        outcome.className = answer.valid ? "verified" : "error";
      } catch (err) {
        outcome.textContent = describe(err);
        outcome.className = "error";
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  async function loadReceipts(jobId) {
    const box = byId("job-receipts");
    let receipts = [];
    try {
      receipts = (await api.get(`/v1/admin/jobs/${jobId}/receipts`, { limit: 100 })).items;
    } catch (err) {
      if (err.code !== "RECEIPT_NOT_FOUND") throw err;
    }
    if (open?.jobId !== jobId) return;
    box.replaceChildren(
      ...(receipts.length ? [] : [el("p", { className: "muted" }, "No receipt: receipts are disabled on this coordinator.")]),
      ...receipts.map((receipt, i) => {
        const outcome = el("span", { role: "status" });
        return el("div", { className: "receipt", dataset: { receiptId: receipt.receipt_id } }, [
          el("div", { className: "actions" }, [
            el("strong", {}, i === receipts.length - 1 ? "Latest receipt" : `Receipt ${i + 1}`),
            el("code", {}, receipt.receipt_id),
            verifyButton(receipt, outcome),
            outcome,
          ]),
          el("details", {}, [el("summary", {}, `signed by ${receipt.signature?.key_id ?? "?"}`), el("pre", {}, pretty(receipt))]),
        ]);
      }),
    );
  }

  function renderOutput() {
    const { output, progress, problem } = open;
    const pre = byId("job-output");
    pre.textContent = output.join("");
    pre.hidden = output.length === 0;
    const parts = [];
    if (progress)
      parts.push(
        `${progress.progress === null ? "" : `${Math.round(progress.progress * 100)}% `}${progress.message ?? ""} (attempt ${progress.attempt})`.trim(),
      );
    if (!progress && output.length === 0) parts.push("Nothing streamed.");
    if (problem) parts.push(problem);
    byId("job-progress").textContent = parts.join(" · ");
  }

  function onStreamMessage(message) {
    if (!open) return;
    if (message.type === "output.chunk") {
      if (open.attempt !== undefined && message.attempt !== open.attempt) open.output.push(`\n— attempt ${message.attempt} —\n`);
      open.attempt = message.attempt;
      open.output.push(message.data);
    }
    if (message.type === "job.progress") open.progress = message;
    renderOutput();
  }

  async function refresh() {
    const { jobId } = open;
    const job = await api.get(`/v1/admin/jobs/${jobId}`);
    if (open?.jobId !== jobId) return;
    say(byId("job-detail-error"), "");
    byId("job-detail-title").replaceChildren("Job ", el("code", {}, job.job_id));
    renderFacts(job);
    renderEvents(job.events);
    byId("job-cancel").disabled = !ACTIVE.includes(job.state);
    byId("job-reissue").disabled = job.state !== "COMPLETED";
    if (job.state === "COMPLETED" && !open.receiptsLoaded) {
      open.receiptsLoaded = true;
      await loadReceipts(jobId);
    }
  }

  async function cancel() {
    try {
      await api.post(`/v1/admin/jobs/${open.jobId}/cancel`);
      actionResult("canceled");
      await refresh();
      onChanged();
    } catch (err) {
      actionResult(describe(err));
    }
  }

  async function reissue() {
    const { jobId } = open;
    try {
      const receipt = await api.post(`/v1/admin/jobs/${jobId}/receipts`);
      actionResult(`re-issued as ${receipt.receipt_id}`);
      await loadReceipts(jobId);
    } catch (err) {
      actionResult(describe(err));
    }
  }

  function stop() {
    if (!open) return;
    clearInterval(open.timer);
    open.stream.stop();
    open = null;
  }

  const tick = () =>
    refresh().catch((err) => {
      if (open) say(byId("job-detail-error"), describe(err));
      if (err.status === 401) report(err);
    });

  function show(jobId) {
    stop();
    open = { jobId, output: [], progress: null, problem: "", receiptsLoaded: false };
    byId("job-detail-title").replaceChildren("Job ", el("code", {}, jobId));
    for (const id of ["job-facts", "job-events", "job-receipts"]) byId(id).replaceChildren();
    for (const id of ["job-payload", "job-result", "job-output", "job-progress"]) byId(id).textContent = "";
    byId("job-receipts").append(el("p", { className: "muted" }, "None until the job completes."));
    actionResult("");
    if (!dialog.open) dialog.showModal();
    open.timer = setInterval(tick, REFRESH_MS);
    open.stream = followJob(api, jobId, {
      onMessage: onStreamMessage,
      onProblem: (text) => {
        if (!open) return;
        open.problem = text;
        renderOutput();
      },
    });
    renderOutput();
    return tick();
  }

  confirmFirst(byId("job-cancel"), cancel);
  byId("job-detail-close").addEventListener("click", () => dialog.close());
  byId("job-reissue").addEventListener("click", reissue);
  dialog.addEventListener("close", stop);

  return { show, close: () => dialog.close() };
}
