// The operators' dashboard in a real browser against a real `npm start` server (dev-server.setup.ts)
// with the rate limits of wrangler.toml: signing in, a job seen from
// submit to receipt, a miner drained, a key created and revoked, and the page at 420 px wide. The
// page must meet no console error, no failed request and no 4xx but the one wrong sign-in.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { firstKey } from "../../scripts/dev-server.mjs";
import { launch, openPage, screenshot, sidewaysOverflow } from "./chromium";

const server = inject("devServer");
let browser: Browser;
let page: Page;
let problems: string[];
let keys: { client: string; miner: string; admin: string };

const GPU = "dashboard-test-gpu";
const MINER_ID = "rig-dashboard";
const SIGN_IN_REFUSED = "HTTP 401: /v1/admin/stats";

async function call(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers: { "X-Api-Key": key, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await res.json();
  expect(res.status, JSON.stringify(parsed)).toBeLessThan(300);
  return parsed;
}

const asMiner = (path: string, body: unknown) => call("POST", path, keys.miner, body, { "X-Miner-Id": MINER_ID });

beforeAll(async () => {
  browser = await launch();
  keys = {
    client: firstKey(server.vars, "CLIENT_API_KEYS"),
    miner: firstKey(server.vars, "MINER_API_KEYS"),
    admin: firstKey(server.vars, "ADMIN_API_KEYS"),
  };
  ({ page, problems } = await openPage(browser));
});

afterAll(async () => {
  await browser?.close();
});

describe("the admin dashboard", () => {
  let jobId = "";

  it("refuses a wrong key at the form, then opens with the right one", async () => {
    await page.goto(`${server.base}/admin`);
    await page.fill("#key", "not-a-key");
    await page.click("#login button[type=submit]");
    await expect.poll(() => page.textContent("#login-error")).toContain("This key was not accepted");
    expect(await page.isVisible("#login-error")).toBe(true);
    expect(await page.isHidden("#dashboard")).toBe(true);

    await page.fill("#key", keys.admin);
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#dashboard", { state: "visible" });
    expect(await page.isHidden("#login")).toBe(true);
    const cards = await page.$$eval("#job-cards .card span", (spans) => spans.map((s) => s.textContent));
    expect(cards).toEqual(expect.arrayContaining(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELED", "EXPIRED"]));
    expect(await page.textContent('#job-cards [data-card="FAILED"] strong')).toBe("0");
    const minerCards = await page.$$eval("#miner-cards .card span", (spans) => spans.map((s) => s.textContent));
    expect(minerCards).toEqual(expect.arrayContaining(["ONLINE", "DRAINING", "OFFLINE"]));
    await page.waitForSelector("#charts figure.chart canvas");
    // Each legend tells the current minute's figures, drawn from GET /v1/admin/stats/history.
    const legend = (chart: string) =>
      page.$$eval(`[data-chart="${chart}"] .u-legend .u-series`, (rows) => rows.map((r) => r.textContent?.replace(/\s+/g, " ").trim()));
    await expect.poll(() => legend("Queue depth")).toEqual([expect.stringMatching(/^Time\d{4}-\d\d-\d\d /), "queued0", "running0"]);
    expect(await legend("Run time (p50, p95)")).toEqual([expect.any(String), "p50—", "p95—"]);
    expect(await page.$$eval("#charts figure.chart", (figures) => figures.map((f) => f.getAttribute("data-chart")))).toEqual([
      "Queue depth",
      "Finished per minute",
      "Wait to lease (p50, p95)",
      "Run time (p50, p95)",
    ]);
  });

  it("shows a job submitted over HTTP in the table, and its details in the dialog", async () => {
    const submitted = await call("POST", "/v1/jobs", keys.client, {
      payload: { prompt: "seen from the dashboard" },
      constraints: { gpu: GPU },
    });
    jobId = submitted.job_id;
    await page.selectOption("#job-filters select[name=state]", "QUEUED");
    const row = `#jobs tr[data-job-id="${jobId}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain("QUEUED");
    expect(await page.getAttribute(`${row} time`, "title")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.textContent(`${row} time`)).toMatch(/^(\d+ s ago|just now)$/);

    await page.click(row);
    await page.waitForSelector("#job-detail[open]");
    await expect.poll(() => page.textContent("#job-payload")).toContain("seen from the dashboard");
    expect(await page.textContent("#job-events")).toContain("submitted");
    // The job's W3C trace: among its facts, and on each event with the event's own span.
    expect(submitted.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.textContent("#job-facts")).toContain(submitted.trace_id);
    expect(await page.$$eval("#job-events th", (ths) => ths.map((th) => th.textContent))).toEqual(
      expect.arrayContaining(["trace id", "span id"]),
    );
    expect(await page.textContent("#job-events tbody")).toContain(submitted.trace_id);
    expect(await page.textContent(row)).toContain(submitted.trace_id);
    expect(await page.isEnabled("#job-cancel")).toBe(true);
    expect(await page.isDisabled("#job-reissue")).toBe(true);
  });

  it("streams the job's output into the open dialog, then shows its result and receipts, verified and re-issued", async () => {
    await call("POST", "/v1/miners/register", keys.miner, { miner_id: MINER_ID, capabilities: { gpus: [{ name: GPU, memory_mb: 1 }] } });
    const lease = await asMiner("/v1/miners/poll", { max_wait_seconds: 5 });
    expect(lease.job_id).toBe(jobId);
    await asMiner(`/v1/miners/${jobId}/progress`, { lease_id: lease.lease_id, seq: 0, progress: 0.5, output: "hello from the miner" });
    await expect.poll(() => page.textContent("#job-output")).toContain("hello from the miner");
    expect(await page.textContent("#job-progress")).toContain("50%");

    await asMiner(`/v1/miners/${jobId}/result`, { result: { answer: 42 }, lease_id: lease.lease_id });
    await expect.poll(() => page.textContent("#job-result"), { timeout: 10_000 }).toContain('"answer": 42');
    await page.waitForSelector("#job-receipts .receipt");
    await page.click("#job-receipts .receipt button");
    await expect.poll(() => page.textContent("#job-receipts .receipt")).toContain("valid: signature and keys check out");

    await page.click("#job-reissue");
    await expect.poll(() => page.$$("#job-receipts .receipt").then((r) => r.length)).toBe(2);
    expect(await page.textContent("#job-action-result")).toContain("re-issued as");
    await screenshot(page, "job-detail");
    await page.click("#job-detail-close");
    expect(await page.isHidden("#job-detail")).toBe(true);
    await page.selectOption("#job-filters select[name=state]", "");
  });

  it("cancels a queued job from its dialog, after asking", async () => {
    const queued = (await call("POST", "/v1/jobs", keys.client, { payload: {}, constraints: { gpu: "nobody-has-this" } })).job_id;
    await page.selectOption("#job-filters select[name=state]", "QUEUED");
    await page.click(`#jobs tr[data-job-id="${queued}"]`);
    await page.waitForSelector("#job-detail[open] #job-cancel:not([disabled])");
    await page.click("#job-cancel");
    expect(await page.textContent("#job-cancel")).toContain("sure?");
    await page.click("#job-cancel");
    await expect.poll(() => page.textContent("#job-facts .state")).toBe("CANCELED");
    expect(await page.isDisabled("#job-cancel")).toBe(true);
    expect(await page.textContent("#job-events")).toContain("canceled");
    await page.click("#job-detail-close");
    await page.selectOption("#job-filters select[name=state]", "");
  });

  it("drains and undrains a miner from its row", async () => {
    const row = `#miners tr[data-miner-id="${MINER_ID}"]`;
    await page.waitForSelector(row, { timeout: 15_000 });
    expect(await page.textContent(row)).toContain(GPU);
    await page.click(`${row} button[data-action=drain]`);
    await expect.poll(() => page.textContent(`${row} .state`)).toBe("DRAINING");
    await page.click(`${row} button[data-action=undrain]`);
    await expect.poll(() => page.textContent(`${row} .state`)).toBe("ONLINE");
  });

  it("creates a key whose secret it shows once, and revokes it", async () => {
    await page.selectOption("#key-create select[name=role]", "client");
    await page.fill("#key-create input[name=name]", "made in the browser test");
    await page.click("#key-create button[type=submit]");
    await page.waitForSelector("#key-secret", { state: "visible" });
    const secret = (await page.$$eval("#key-secret-values dd", (dds) => dds.map((d) => d.textContent ?? "")))[2]!;
    expect(secret.length).toBeGreaterThan(20);
    const keyId = await page.getAttribute('#keys tr:has-text("made in the browser test")', "data-key-id");
    await page.click("#key-secret-done");
    expect(await page.isHidden("#key-secret")).toBe(true);
    expect(await page.content()).not.toContain(secret);

    const revoke = `#keys tr[data-key-id="${keyId}"] button`;
    await page.click(revoke);
    await page.click(revoke);
    await expect.poll(() => page.textContent(`#keys tr[data-key-id="${keyId}"]`)).toContain("revoked");
    await screenshot(page, "dashboard-wide");
  });

  it("fits a 420 px wide window: tables scroll in their own boxes, the page never sideways", async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(300);
    expect(await sidewaysOverflow(page)).toBe(0);
    await screenshot(page, "dashboard-420");
    await page.click(`#jobs tr[data-job-id="${jobId}"]`);
    await page.waitForSelector("#job-detail[open]");
    await expect.poll(() => page.textContent("#job-result")).toContain("answer");
    expect(await sidewaysOverflow(page)).toBe(0);
    await screenshot(page, "job-detail-420");
    await page.click("#job-detail-close");
  });

  it("tells ages and durations as people read them", async () => {
    const told = await page.evaluate(`import("/assets/admin/time.browser.js").then(({ ago, duration }) => {
      const now = Date.parse("2026-01-01T12:00:00.000Z");
      const at = (ms) => new Date(now - ms).toISOString();
      return [ago(at(0), now), ago(at(12_000), now), ago(at(125_000), now), ago(at(3 * 3_600_000), now), ago(at(-90_000), now), ago("soon", now),
        duration(850), duration(1_234), duration(12_500), duration(192_000), duration(null)];
    })`);
    expect(told).toEqual(["just now", "12 s ago", "2 min ago", "3 h ago", "in 1 min", "", "850 ms", "1.23 s", "12.5 s", "3.2 min", "—"]);
  });

  it("met no console error, failed request or error answer but the wrong key's 401", () => {
    expect(
      problems.filter(
        (p) => p !== SIGN_IN_REFUSED && !p.startsWith("console: Failed to load resource: the server responded with a status of 401"),
      ),
    ).toEqual([]);
    expect(problems).toContain(SIGN_IN_REFUSED);
  });
});
