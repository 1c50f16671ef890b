#!/usr/bin/env node
// `npm run deploy:check`, part of `npm run check` and so of CI. Offline, nothing is uploaded:
//   1. `wrangler types --check`: worker-configuration.d.ts matches wrangler.toml (else `wrangler dev`
//      warns that the types may be out of date);
//   2. `wrangler deploy --dry-run` of every environment in wrangler.toml, the top level included: the
//      bundle builds and the configuration is valid. Any wrangler warning fails the check too, such
//      as a binding defined at the top level but missing from an environment (wrangler does not
//      inherit bindings, and would deploy that environment without it). The one exception is below:
//      the bench environment, never deployed, leaves out the rate limits on purpose;
//   3. each bundle stays within the size budget below. Sizes are printed per environment.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const KiB = 1024;
// What wrangler would upload: the bundle and every module beside it (the API reference page's script
// is one; source maps are not uploaded). Today about 6.0 MiB, 1.6 MiB gzipped module by module, most
// of it Scalar's script. Under Cloudflare's limit (3 MiB gzipped on the free plan) with room to spare;
// it exists to notice a dependency that bloats the Worker, whose modules are parsed at every cold start.
const BUDGET = { raw: 8192 * KiB, gzip: 2048 * KiB };

const wranglerJs = join(root, "node_modules", "wrangler", "bin", "wrangler.js");

function wrangler(args) {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  return new Promise((done) =>
    execFile(process.execPath, [wranglerJs, ...args], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ status: error ? (error.code ?? 1) : 0, output: stripVTControlCharacters(`${stdout}${stderr}`) }),
    ),
  );
}

/**
 * The wrangler warning an environment is expected to give, as its list items: the bench environment
 * has no rate-limit bindings on purpose (wrangler.toml says why). Any other warning still fails.
 */
const EXPECTED_WARNING_ITEMS = {
  bench: ['- "env.bench" environment configuration', '- "ratelimits" exists at the top level, but not on "env.bench".'],
};

function unexpectedWarning(env, output) {
  if (!/\[(WARNING|ERROR)\]/.test(output)) return false;
  const expected = EXPECTED_WARNING_ITEMS[env];
  if (!expected || /\[ERROR\]/.test(output) || output.match(/\[WARNING\]/g).length > 1) return true;
  const items = output
    .slice(output.indexOf("[WARNING]"))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("- "));
  return items.length !== expected.length || items.some((item, i) => item !== expected[i]);
}

const failures = [];
function fail(what, output) {
  failures.push(what);
  console.error(`deploy:check: ${what}${output ? `\n${output.trim()}\n` : ""}`);
}

const { experimental_readRawConfig } = await import("wrangler");
const { rawConfig } = experimental_readRawConfig({ config: join(root, "wrangler.toml") });
const environments = ["", ...Object.keys(rawConfig.env ?? {})];
const outdirOf = (env) => join(root, ".wrangler", "deploy-check", env || "top-level");

// All at once: each run is mostly wrangler starting up.
const [types, ...dryRuns] = await Promise.all([
  wrangler(["types", "--include-runtime", "false", "--check"]),
  ...environments.map((env) => {
    rmSync(outdirOf(env), { recursive: true, force: true });
    return wrangler(["deploy", "--dry-run", `--env=${env}`, "--outdir", outdirOf(env)]);
  }),
]);
if (types.status !== 0) fail("worker-configuration.d.ts is out of date: run `npm run cf-typegen` and commit it", types.output);

const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;
console.log(`deploy:check: budget ${kib(BUDGET.raw)} raw, ${kib(BUDGET.gzip)} gzip`);
for (const [i, env] of environments.entries()) {
  const label = env || "(top level)";
  const run = dryRuns[i];
  if (run.status !== 0) {
    fail(`${label}: wrangler deploy --dry-run failed`, run.output);
    continue;
  }
  if (unexpectedWarning(env, run.output)) fail(`${label}: wrangler warned about the configuration`, run.output);
  const modules = readdirSync(outdirOf(env))
    .filter((name) => name !== "README.md" && !name.endsWith(".map"))
    .map((name) => readFileSync(join(outdirOf(env), name)));
  const size = {
    raw: modules.reduce((sum, bytes) => sum + bytes.length, 0),
    gzip: modules.reduce((sum, bytes) => sum + gzipSync(bytes).length, 0),
  };
  const over = Object.keys(BUDGET).filter((k) => size[k] > BUDGET[k]);
  console.log(
    `  ${label.padEnd(12)} ${kib(size.raw).padStart(12)} raw ${kib(size.gzip).padStart(11)} gzip${over.length ? "  OVER BUDGET" : ""}`,
  );
  if (over.length) fail(`${label}: bundle over budget (${over.join(", ")})`);
}

if (failures.length) {
  console.error(`deploy:check failed: ${failures.length} problem(s)`);
  process.exit(1);
}
console.log(
  `deploy:check: ${environments.length} environments bundle within budget, no configuration warnings but the bench's expected one`,
);
