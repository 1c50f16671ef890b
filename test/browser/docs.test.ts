// The API reference at /docs in a real browser: Scalar's script, served by this Worker, renders the
// service's own /openapi.json, so the submit operation shows each request field with its description.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launch, openPage, screenshot } from "./chromium";

const server = inject("devServer");
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

describe("the API reference page", () => {
  it("renders the submit operation's request fields from the served document, with no error on the way", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${server.base}/docs`);
    await page.click("text=Submit a job");
    const operation = '[id="api-1/tag/jobs/POST/v1/jobs"]';
    await page.waitForSelector(`${operation} [id$=".body.payload"]`);
    const fields = await page.$$eval(`${operation} [id*="/POST/v1/jobs.body."]`, (els) => els.map((e) => e.id.split(".body.")[1]));
    expect(fields).toEqual(expect.arrayContaining(["payload", "constraints", "ttl_seconds", "priority", "max_attempts"]));
    expect(await page.textContent(operation)).toContain("The work, any JSON object; the miner gets it as sent");
    await screenshot(page, "docs-submit");
    expect(problems).toEqual([]);
  });
});
