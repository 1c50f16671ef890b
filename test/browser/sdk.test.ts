// The SDK in a real browser: bundled for browsers as an application's bundler would (esbuild), loaded
// into a page of the coordinator's own origin, and run there against the real `npm start` server of
// the browser tests (dev-server.setup.ts). Nothing in it may need Node.
import { join } from "node:path";
import { build, stop } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { firstKey, ROOT } from "../../scripts/dev-server.mjs";
import type * as Sdk from "../../sdk";
import { launch, openPage } from "./chromium";

const server = inject("devServer");
let browser: Browser;
let page: Page;
let problems: string[];

/** The SDK as one classic script that defines `EdgeCoordinatorSdk`. */
async function browserBundle(): Promise<string> {
  const built = await build({
    entryPoints: [join(ROOT, "sdk/index.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "EdgeCoordinatorSdk",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  // esbuild's service process would otherwise outlive the test run.
  await stop();
  return built.outputFiles[0]!.text;
}

beforeAll(async () => {
  browser = await launch();
  ({ page, problems } = await openPage(browser));
  // A blank page of the coordinator's origin: the SDK's calls are same-origin, as from a page it served.
  await page.route(`${server.base}/sdk-harness`, (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>sdk</title>" }),
  );
  await page.goto(`${server.base}/sdk-harness`);
  await page.addScriptTag({ content: await browserBundle() });
});

afterAll(async () => {
  await browser?.close();
});

describe("the SDK in Chromium", () => {
  it("runs a job's whole life, follows its events, verifies its receipt and throws typed errors", async () => {
    const keys = { client: firstKey(server.vars, "CLIENT_API_KEYS"), miner: firstKey(server.vars, "MINER_API_KEYS") };
    const seen = await page.evaluate(
      async ({ base, keys }) => {
        const { CoordinatorClient, CoordinatorError } = (globalThis as unknown as { EdgeCoordinatorSdk: typeof Sdk }).EdgeCoordinatorSdk;
        const client = new CoordinatorClient({ baseUrl: base, apiKey: keys.client });
        const miner = new CoordinatorClient({ baseUrl: base, apiKey: keys.miner });
        const model = `browser-sdk-${crypto.randomUUID()}`;
        const { miner_id: minerId } = await miner.miners.register({ miner_id: "sdk-in-browser", capabilities: { models: [model] } });
        const { job } = await client.jobs.submit({ payload: { from: "browser" }, constraints: { models: [model] } });
        const [leased] = await miner.miners.poll({ max_wait_seconds: 5 }, { minerId });
        if (!leased) throw new Error("no job leased");
        const report = { minerId, traceparent: leased.traceparent };
        await miner.miners.progress(job.job_id, { lease_id: leased.lease_id, seq: 1, progress: 0.5, output: "half\n" }, report);
        await miner.miners.result(job.job_id, { result: { ok: true }, lease_id: leased.lease_id }, report);
        const types: string[] = [];
        for await (const event of client.jobs.events(job.job_id, { lastEventId: "0" })) types.push(event.type);
        const document = await client.jobs.result(job.job_id);
        const tampered = { ...document, receipt: { ...document.receipt!, units: 1_000_000 } };
        const error = await client.jobs.get("0".repeat(32)).catch((e: unknown) => e);
        if (!(error instanceof CoordinatorError)) throw new Error(`not a CoordinatorError: ${String(error)}`);
        return {
          submitted: job.job_id,
          leased: leased.job_id,
          types,
          final: (await client.jobs.get(job.job_id)).state,
          valid: (await client.receipts.verify(document)).valid,
          tamperedValid: (await client.receipts.verify(tampered)).valid,
          error: { status: error.status, code: error.code },
        };
      },
      { base: server.base, keys },
    );
    expect(seen.leased).toBe(seen.submitted);
    expect(seen.types).toEqual(expect.arrayContaining(["job.progress", "output.chunk", "result.ready"]));
    expect(seen.final).toBe("COMPLETED");
    expect(seen.valid).toBe(true);
    expect(seen.tamperedValid).toBe(false);
    expect(seen.error).toEqual({ status: 404, code: "JOB_NOT_FOUND" });
    // The one 404 asked for (the browser also logs it to its console); nothing else went wrong in the page.
    expect([...problems].sort()).toEqual([
      "HTTP 404: /v1/jobs/00000000000000000000000000000000",
      "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ]);
  });
});
