#!/usr/bin/env node
// `npm start`: run the coordinator locally under `wrangler dev`.
//   1. creates the dev vars file (.dev.vars) from .dev.vars.example when it is missing, with fresh
//      random receipt seeds, so keys and signed receipts work out of the box;
//   2. applies the D1 migrations to the local database (never prompts);
//   3. starts `wrangler dev` on 127.0.0.1 and says where it listens once GET /v1/health answers.
// Options: --port N or PORT (default 8787); --env NAME: a wrangler.toml environment for the migrations
// and the server (e.g. `--env bench`: rate limits no load test reaches); PERSIST_DIR: local state
// directory (default .wrangler/state); DEV_VARS_FILE: use (and create if missing) this vars file instead
// of .dev.vars. Other arguments go to `wrangler dev`. SIGINT/SIGTERM are passed on to wrangler, and this
// script exits with wrangler's code. Wrangler's download of the `Request.cf` placeholder is turned off
// (CLOUDFLARE_CF_FETCH_ENABLED=false) so that it runs offline without a warning; it uses its built-in one.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { constants } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDevVars } from "./dev-vars.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";

function fail(message) {
  console.error(`dev: ${message}`);
  process.exit(1);
}

// Arguments: --port N / --port=N, --env NAME / --env=NAME / -e NAME; anything else is passed to `wrangler dev`.
let port = process.env.PORT || "8787";
let wranglerEnv = null;
const passThrough = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === "--port") port = process.argv[++i] ?? "";
  else if (arg.startsWith("--port=")) port = arg.slice("--port=".length);
  else if (arg === "--env" || arg === "-e") wranglerEnv = process.argv[++i] ?? "";
  else if (arg.startsWith("--env=")) wranglerEnv = arg.slice("--env=".length);
  else passThrough.push(arg);
}
if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) fail(`bad port "${port}"`);
if (wranglerEnv !== null && !/^[a-z0-9_-]+$/.test(wranglerEnv)) fail(`bad environment name "${wranglerEnv}"`);
const envArgs = wranglerEnv ? ["--env", wranglerEnv] : [];

// 1. The vars file. An existing one is never touched.
const varsFile = process.env.DEV_VARS_FILE ? resolve(process.env.DEV_VARS_FILE) : join(root, ".dev.vars");
const varsName = relative(process.cwd(), varsFile).startsWith("..") ? varsFile : relative(process.cwd(), varsFile);
if (!existsSync(varsFile)) {
  mkdirSync(dirname(varsFile), { recursive: true });
  writeFileSync(varsFile, freshDevVars(root), { mode: 0o600, flag: "wx" });
  console.log(`dev: created ${varsName} from .dev.vars.example with fresh receipt seeds`);
}

// Wrangler needs Node >= 22.12; the `node` devDependency provides it when the shell's node is older.
const [major, minor] = process.versions.node.split(".").map(Number);
const localNode = join(root, "node_modules", "node", "bin", "node");
const nodeBin = major > 22 || (major === 22 && minor >= 12) || !existsSync(localNode) ? process.execPath : localNode;
const wranglerJs = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
if (!existsSync(wranglerJs)) fail("wrangler is not installed: run `npm install` first");
const persist = process.env.PERSIST_DIR ? ["--persist-to", resolve(process.env.PERSIST_DIR)] : [];

let child = null;
function wrangler(args, options = {}) {
  child = spawn(nodeBin, [wranglerJs, ...args], {
    cwd: root,
    stdio: options.stdio ?? "inherit",
    env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env, WRANGLER_SEND_METRICS: "false", ...options.env },
  });
  return new Promise((done) => {
    child.on("error", (err) => fail(`could not start wrangler: ${err.message}`));
    child.on("exit", (code, signal) => done(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => (child && child.exitCode === null ? child.kill(signal) : process.exit(128 + constants.signals[signal])));
}

function portIsFree() {
  return new Promise((done) => {
    const probe = createServer().once("error", () => done(false));
    probe.listen(Number(port), HOST, () => probe.close(() => done(true)));
  });
}

async function announceWhenReady(url, exited) {
  const deadline = Date.now() + 120_000;
  while (!exited() && Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        console.log(`\nedge-coordinator listening on ${url} (dev keys in ${varsName})\n`);
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!exited()) console.error(`dev: ${url}/v1/health did not answer within 120 s; still waiting on wrangler`);
}

if (!(await portIsFree())) fail(`${HOST}:${port} is in use; pick another with --port N or PORT=N`);

// 2. Local D1 migrations. CI=true and no stdin make wrangler skip its confirmation prompt.
const migrated = await wrangler(["d1", "migrations", "apply", "DB", "--local", ...envArgs, ...persist], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { CI: "true" },
});
if (migrated !== 0) process.exit(migrated);

// 3. The dev server.
const envFile = process.env.DEV_VARS_FILE ? ["--env-file", varsFile] : [];
let running = true;
const served = wrangler(["dev", "--ip", HOST, "--port", port, ...envArgs, ...persist, ...envFile, ...passThrough]);
served.then(() => (running = false));
announceWhenReady(`http://${HOST}:${port}`, () => !running);
process.exit(await served);
