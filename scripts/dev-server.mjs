// A throwaway local coordinator for tools and tests that drive it over real HTTP (`npm run bench`,
// the e2e tests): `npm start`'s own script on a free loopback port, with its state directory and vars
// file in a fresh temp directory, so a developer's .dev.vars and .wrangler/state are never touched.
// The vars file does not exist yet, so the script creates it from .dev.vars.example exactly as it
// does on a fresh clone (same dev keys, fresh seeds). A caller may instead name a state directory and
// a vars file that outlive the server (a restart on them resumes the same queue, keys and seeds), and
// settings to write into that vars file when it is created. Only 127.0.0.1 is ever contacted.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDevVars } from "./dev-vars.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const READY_LINE = /edge-coordinator listening on (http:\/\/\S+)/;

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer().once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** NAME=value lines of a vars file; quotes around a value are dropped. */
export function readVars(file) {
  const entries = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2].replace(/^(["'])(.*)\1$/, "$2")]);
  return Object.fromEntries(entries);
}

/** The first key of a key setting, which is comma-separated or a JSON array as the service reads it. */
export function firstKey(vars, name) {
  const raw = vars[name] ?? "";
  const list = raw.startsWith("[") ? JSON.parse(raw) : raw.split(",");
  const key = list.map((s) => s.trim()).find(Boolean);
  if (!key) throw new Error(`${name} is empty in the dev vars file`);
  return key;
}

/**
 * Starts the coordinator and resolves once it answers GET /v1/health. `stop()` ends the whole process
 * group (script, wrangler, workerd) and removes the temp directory; `kill()` SIGKILLs the group at once,
 * as a crash would, and removes it too. Both are safe to call twice. A `stateDir` or `varsFile` the
 * caller names is kept; `vars` (NAME → value) go into the vars file when it does not exist yet;
 * `env` names a wrangler.toml environment (e.g. "bench"); `wranglerArgs` go on to `wrangler dev`
 * (e.g. `--var NAME:value`, which overrides the vars file). `port` (default: a free one) lets a
 * restart listen where its clients already point.
 */
export async function startDevServer({
  timeoutMs = 120_000,
  stateDir,
  varsFile: keptVarsFile,
  vars,
  env: wranglerEnv,
  wranglerArgs = [],
  port: wantedPort,
} = {}) {
  const workDir = mkdtempSync(join(tmpdir(), "edge-coordinator-dev-"));
  const varsFile = keptVarsFile ? resolve(keptVarsFile) : join(workDir, ".dev.vars");
  if (vars && !existsSync(varsFile)) {
    mkdirSync(dirname(varsFile), { recursive: true });
    writeFileSync(varsFile, freshDevVars(ROOT, vars), { mode: 0o600, flag: "wx" });
  }
  const port = wantedPort ?? (await freePort());
  const env = { ...process.env, PERSIST_DIR: stateDir ? resolve(stateDir) : join(workDir, "state"), DEV_VARS_FILE: varsFile };
  // As a developer's shell would run it: vitest's NODE_ENV=test, for one, makes wrangler behave otherwise.
  delete env.PORT;
  delete env.NODE_ENV;
  const envArgs = wranglerEnv ? ["--env", wranglerEnv] : [];
  // detached: the script, wrangler and workerd share a new process group that stop() ends whole.
  const child = spawn(process.execPath, [join(ROOT, "scripts", "dev.mjs"), "--port", String(port), ...envArgs, ...wranglerArgs], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((done) => child.once("exit", () => done()));
  let output = "";
  let stopped = false;

  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;

  async function stop() {
    if (stopped) return;
    stopped = true;
    if (running()) {
      signal("SIGTERM");
      let timer;
      const timedOut = new Promise((r) => {
        timer = setTimeout(() => r(false), 15_000);
      });
      const ended = await Promise.race([exited.then(() => true), timedOut]);
      // A pending timer would keep the caller's process (a test run) alive for its whole 15 s.
      clearTimeout(timer);
      if (!ended) signal("SIGKILL");
    }
    rmSync(workDir, { recursive: true, force: true });
  }

  async function kill() {
    if (stopped) return;
    stopped = true;
    // The whole group at once, the script included, so nothing shuts down in order.
    signal("SIGKILL");
    await exited;
    rmSync(workDir, { recursive: true, force: true });
  }

  try {
    const base = await new Promise((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`no "listening" line within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`)),
        timeoutMs,
      );
      const onData = (chunk) => {
        output += chunk.toString();
        const ready = READY_LINE.exec(output);
        if (ready) {
          clearTimeout(timer);
          done(ready[1]);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`dev script exited (${code}) before listening:\n${output.slice(-4000)}`));
      });
    });
    return { base, port, pid: child.pid, vars: readVars(varsFile), output: () => output, stop, kill };
  } catch (err) {
    await stop();
    throw err;
  }
}
