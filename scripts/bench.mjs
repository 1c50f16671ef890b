#!/usr/bin/env node
// `npm run bench`: starts the coordinator with `npm start`'s script on a free loopback port, in the
// `bench` environment of wrangler.toml (no rate limits), with a throwaway state
// directory (in memory, see STATE_ROOT) and vars file, drives bounded load through real HTTP and prints every
// figure as a ratio to the cheapest route measured in the same run (local timings swing with the
// machine; the ratios are what to compare). Only 127.0.0.1 is ever contacted. Every loop is bounded
// in count; the whole run stops by itself.
//
// BENCH_SCALE=quick|default|full chooses the sizes (default: about 3 minutes on 2 cores; full adds
// 100 000 queued jobs and 10 000 registered miners). BENCH_CONCURRENCY: requests in flight (16).
// BENCH_STATE_ROOT: where the state directories go (default /dev/shm when there is one).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "./dev-server.mjs";

const SCALES = {
  quick: { perPhase: 200, batchUnits: 4, dispatch: 30, deepJobs: 2_000, crowd: 200 },
  default: { perPhase: 400, batchUnits: 8, dispatch: 100, deepJobs: 20_000, crowd: 2_000 },
  full: { perPhase: 1_000, batchUnits: 16, dispatch: 200, deepJobs: 100_000, crowd: 10_000 },
};
const SCALE_NAME = process.env.BENCH_SCALE ?? "default";
const SCALE = SCALES[SCALE_NAME];
if (!SCALE) throw new Error(`BENCH_SCALE must be one of ${Object.keys(SCALES).join(", ")}`);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CLASSES = 200;
const BATCH = 100;
// Long enough that the crowd of miners is registered and measured before its silence is swept.
const HEARTBEAT_TIMEOUT_SECONDS = 40;

// The bench env has no rate limits, but the load is still spread over many keys, as many
// real clients and miners would spread it: principals, their key lookups and their miners stay realistic.
const keyList = (role, n) => Array.from({ length: n }, (_, i) => `bench-${role}-${String(i).padStart(3, "0")}`);
const clients = keyList("client", 96);
const miners = keyList("miner", 32);
const crowdKeys = keyList("crowd", 40);
const settings = (extra = []) =>
  [
    ["CLIENT_API_KEYS", clients],
    ["MINER_API_KEYS", [...miners, ...crowdKeys]],
    ["HEARTBEAT_TIMEOUT_SECONDS", [HEARTBEAT_TIMEOUT_SECONDS]],
    ["HEARTBEAT_INTERVAL_SECONDS", [5]],
    ...extra,
  ].flatMap(([name, values]) => ["--var", `${name}:${values.join(",")}`]);

// Local workerd commits every Durable Object and D1 transaction to SQLite files in the state
// directory and waits for the disk; on a virtual disk those waits, not the coordinator, bound every
// route that writes (the cheapest route writes nothing). Production storage is Cloudflare's, not a
// local file, so the coordinators of the bench keep their throwaway state in memory (/dev/shm) where
// there is one, and one phase runs the lifecycle with its state on disk to show what the disk costs.
const DISK_STATE_ROOT = tmpdir();
const STATE_ROOT = process.env.BENCH_STATE_ROOT ?? (existsSync("/dev/shm") ? "/dev/shm" : DISK_STATE_ROOT);
const stateDirs = [];
function freshStateDir(root = STATE_ROOT) {
  const dir = mkdtempSync(join(root, "edge-coordinator-bench-"));
  stateDirs.push(dir);
  return dir;
}
const removeStateDirs = () => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
};

const server = await startDevServer({ env: "bench", stateDir: freshStateDir(), wranglerArgs: settings() });
process.on("exit", () => {
  server.stop();
  removeStateDirs();
});
/** The server every request goes to; the shard phase points it at servers of its own. */
let base = server.base;
let serverPid = server.pid;

/** One request; a connection the server dropped is status 0 (counted as unexpected), not the end of the run. */
async function api(method, path, key, body, headers = {}) {
  const started = performance.now();
  try {
    const res = await fetch(base + path, {
      method,
      headers: { "X-Api-Key": key, ...(body ? { "content-type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
  } catch (err) {
    console.error(`  ${method} ${path}: ${err.cause?.message ?? err.message}`);
    return { status: 0, body: null, ms: performance.now() - started };
  }
}

const unexpected = {};
function expectStatus(phase, res, ...ok) {
  if (!ok.includes(res.status)) unexpected[`${phase} ${res.status}`] = (unexpected[`${phase} ${res.status}`] ?? 0) + 1;
  return res;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Up to `count` units (none started after `until`), `concurrency` at a time; a unit returns its latency. */
async function pool(count, unit, concurrency = CONCURRENCY, until = Number.POSITIVE_INFINITY) {
  let next = 0;
  const latencies = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < until) latencies.push(await unit(next++));
    }),
  );
  return summary(latencies, performance.now() - started);
}

function summary(latencies, elapsedMs) {
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return { count: n, perSecond: n / (elapsedMs / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Units one after another, for latency without queueing. */
const sequential = (count, unit) => pool(count, unit, 1);

// The cheapest route is measured again right before and right after every phase, and the phase's
// ratio is to their mean: other work on the machine shifts absolute figures during a run, the ratio less.
// 600 requests take about two seconds: shorter windows swung the cheapest route by a third between phases.
const CALIBRATION = 600;
const cheapest = () =>
  withCpu(() => pool(CALIBRATION, async () => expectStatus("unknownRoute", await api("GET", "/v1/nothing-here", client(0)), 404).ms));

/**
 * CPU seconds used so far by the dev server's process group (wrangler, its proxy and the workerd that
 * runs the Worker, DOs and D1) and by this bench process (`all`), and by that workerd alone (`worker`).
 * Unlike req/s, CPU per request hardly moves with other work on the machine, so its ratio shows what
 * the routes cost even on a busy machine. The Worker's workerd runs the Worker, every Durable Object and
 * D1 on one thread, so its share bounds what one coordinator can do here whatever the other cores do.
 */
function cpuSecondsNow() {
  let all = 0;
  let worker = 0;
  try {
    for (const pid of execFileSync("pgrep", ["-g", String(serverPid)], { encoding: "utf8" })
      .trim()
      .split("\n")) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      all += seconds;
      // wrangler starts the Worker's workerd with an inspector address; its proxy's has none.
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr")) worker += seconds;
    }
  } catch {
    return { all: Number.NaN, worker: Number.NaN };
  }
  const own = process.cpuUsage();
  return { all: all + (own.user + own.system) / 1e6, worker };
}

/** Runs a phase and adds its CPU milliseconds per unit (server and bench client together; the Worker's workerd alone). */
async function withCpu(run) {
  const before = cpuSecondsNow();
  const figures = await run();
  const after = cpuSecondsNow();
  const perUnit = (seconds) => (seconds * 1000) / Math.max(figures.count, 1);
  return { ...figures, cpuMs: perUnit(after.all - before.all), workerMs: perUnit(after.worker - before.worker) };
}
const results = [];
/**
 * `run` returns the phase's figures. The ratio compares requests: a job of a lifecycle counts as its
 * three (submit, poll, result), a job of a batch submit as the one single submit it replaces.
 */
async function measure(name, unit, run, { ratio = true, requestsPerJob = 3 } = {}) {
  const before = ratio ? await cheapest() : null;
  const figures = await withCpu(run);
  const after = ratio ? await cheapest() : null;
  const base = ratio ? { perSecond: (before.perSecond + after.perSecond) / 2, cpuMs: (before.cpuMs + after.cpuMs) / 2 } : null;
  const requests = unit === "job" ? requestsPerJob : 1;
  results.push({
    name,
    unit,
    ...figures,
    base: base?.perSecond,
    ratio: base ? (figures.perSecond * requests) / base.perSecond : null,
    cpuRatio: base ? (base.cpuMs * requests) / figures.cpuMs : null,
  });
  console.log(`  ${name}: ${figures.perSecond.toFixed(0)} ${unit}/s, p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms`);
}

const A100 = { gpus: [{ name: "A100", memory_mb: 81920 }] };
/** Jobs no bench miner fits, spread over CLASSES constraint classes: a deep queue to poll past. */
const unfitJob = (i) => ({ payload: { filler: i }, constraints: { gpu: `H100-${i % CLASSES}` } });
const N = SCALE.perPhase;
const client = (i) => clients[i % clients.length];
const miner = (i) => miners[i % miners.length];

console.log(`edge-coordinator bench, scale ${SCALE_NAME}, ${CONCURRENCY} in flight, on ${base}, state in ${STATE_ROOT}`);
async function registerMiners() {
  for (const key of miners) {
    expectStatus("register", await api("POST", "/v1/miners/register", key, { capabilities: A100, concurrency: 16 }), 201, 200);
  }
}
await registerMiners();

// 1. Every route on its own, at an empty queue, after a warm-up of each (isolates, JIT, caches).
console.log("routes");
const warmUp = (call) => pool(N / 4, async (i) => (await call(i)).ms);
await warmUp(() => api("GET", "/v1/nothing-here", client(0)));
await warmUp((i) => api("POST", "/v1/miners/heartbeat", miner(i), { inflight: [] }));
await warmUp((i) => api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 0 }));
await warmUp((i) => api("GET", "/v1/jobs?limit=1", client(i)));
await measure("unknownRoute", "req", () =>
  pool(N, async () => expectStatus("unknownRoute", await api("GET", "/v1/nothing-here", client(0)), 404).ms),
);
await measure("heartbeat", "req", () =>
  pool(N, async (i) => expectStatus("heartbeat", await api("POST", "/v1/miners/heartbeat", miner(i), { inflight: [] }), 200).ms),
);
await measure("emptyPoll", "req", () =>
  pool(N, async (i) => expectStatus("emptyPoll", await api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 0 }), 204).ms),
);
const submitted = [];
await measure("submit", "req", () =>
  pool(N, async (i) => {
    const res = expectStatus("submit", await api("POST", "/v1/jobs", client(i), { payload: { prompt: `bench ${i}` } }), 201);
    if (res.status === 201) submitted.push({ jobId: res.body.job_id, key: client(i) });
    return res.ms;
  }),
);
await measure("getJob", "req", () =>
  pool(submitted.length, async (i) => expectStatus("getJob", await api("GET", `/v1/jobs/${submitted[i].jobId}`, submitted[i].key), 200).ms),
);
const leases = [];
await measure("poll", "req", () =>
  pool(submitted.length, async (i) => {
    const res = expectStatus("poll", await api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 0 }), 200);
    if (res.status === 200) leases.push({ key: miner(i), job: res.body });
    return res.ms;
  }),
);
// Progress posts with 1 KiB of output each, spread over the leased jobs (each lease numbers its own posts).
const OUTPUT_CHUNK = `${"x".repeat(1023)}\n`;
const postsOfLease = [];
await measure("progress", "req", () =>
  pool(leases.length === 0 ? 0 : N, async (i) => {
    const l = i % leases.length;
    const seq = (postsOfLease[l] ?? -1) + 1;
    postsOfLease[l] = seq;
    const { key, job } = leases[l];
    const body = { lease_id: job.lease_id, seq, progress: Math.min(1, seq / 10), output: OUTPUT_CHUNK };
    return expectStatus("progress", await api("POST", `/v1/miners/${job.job_id}/progress`, key, body), 200).ms;
  }),
);
const finish = (phase, key, job) =>
  api("POST", `/v1/miners/${job.job_id}/result`, key, { result: { ok: true }, metrics: { units: 1 }, lease_id: job.lease_id }).then((res) =>
    expectStatus(phase, res, 200),
  );
await measure("result", "req", () => pool(leases.length, async (i) => (await finish("result", leases[i].key, leases[i].job)).ms));

// 2. Whole lifecycles: submit, poll, result per job; then batches of 100 with 10-job polls.
console.log("lifecycle");
/** Submit, poll, result of `count` jobs, 16 at a time. */
const lifecycles = (phase, count = N) =>
  pool(count, async (i) => {
    const sent = expectStatus(phase, await api("POST", "/v1/jobs", client(i), { payload: { life: i } }), 201);
    const polled = expectStatus(phase, await api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 5 }), 200);
    if (polled.status !== 200) return sent.ms + polled.ms;
    return sent.ms + polled.ms + (await finish(phase, miner(i), polled.body)).ms;
  });
await measure("lifecycle", "job", () => lifecycles("lifecycle"));
/** Batches of 100 jobs, 4 in flight, worked off by 16 miners polling up to 10 jobs at a time. Latency: submit to result. */
async function batchLifecycle(units) {
  const total = units * BATCH;
  const sentAt = [];
  const latencies = [];
  const started = performance.now();
  const giveUpAt = started + 120_000;
  const submitting = pool(
    units,
    async (u) => {
      sentAt[u] = performance.now();
      const jobs = Array.from({ length: BATCH }, (_, i) => ({ payload: { unit: u, i } }));
      return expectStatus("batchLifecycle", await api("POST", "/v1/jobs/batch", client(u), { jobs }), 200).ms;
    },
    4,
  );
  const working = miners.slice(0, 16).map(async (key) => {
    while (latencies.length < total && performance.now() < giveUpAt) {
      const polled = await api("POST", "/v1/miners/poll", key, { max_wait_seconds: 1, max_jobs: 10 });
      if (polled.status !== 200) continue;
      await Promise.all(
        polled.body.items.map(async (job) => {
          await finish("batchLifecycle", key, job);
          latencies.push(performance.now() - sentAt[job.payload.unit]);
        }),
      );
    }
  });
  await Promise.all([submitting, ...working]);
  return summary(latencies, performance.now() - started);
}
await measure("batchLifecycle", "job", () => batchLifecycle(SCALE.batchUnits));

// 3. Dispatch at light load: a parked poll answered by a submit, one at a time.
console.log("dispatch");
await measure(
  "dispatch",
  "job",
  () =>
    sequential(SCALE.dispatch, async (i) => {
      const parked = api("POST", "/v1/miners/poll", miner(0), { max_wait_seconds: 10 });
      await new Promise((r) => setTimeout(r, 25));
      const sentAt = performance.now();
      await api("POST", "/v1/jobs", client(i), { payload: { dispatch: i } });
      const polled = expectStatus("dispatch", await parked, 200);
      const ms = performance.now() - sentAt;
      if (polled.status === 200) await finish("dispatch", miner(0), polled.body);
      return ms;
    }),
  { ratio: false },
);

// 4. Cost against scale: heartbeat, empty poll and submit with a shallow and a deep queue, and with
// many registered miners; then the sweep that marks those miners OFFLINE when they fall silent.
let queued = 0;
async function fillQueueTo(target) {
  const batches = Math.ceil((target - queued) / BATCH);
  const figures = await pool(
    batches,
    async (b) => {
      const jobs = Array.from({ length: BATCH }, (_, i) => unfitJob(queued + b * BATCH + i));
      return expectStatus("fill", await api("POST", "/v1/jobs/batch", client(b), { jobs }), 200).ms;
    },
    8,
  );
  queued += batches * BATCH;
  return figures;
}
async function probe(label) {
  const probes = {
    heartbeat: (i) => api("POST", "/v1/miners/heartbeat", miner(i), { inflight: [] }),
    emptyPoll: (i) => api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 0 }),
    submit: (i) => api("POST", "/v1/jobs", client(i + 7), unfitJob(i)),
  };
  for (const [name, call] of Object.entries(probes)) {
    await measure(`${name} ${label}`, "req", () => pool(N / 2, async (i) => (await call(i)).ms));
  }
  queued += N / 2;
}
console.log("scale");
await fillQueueTo(100);
await probe(`(${queued} queued)`);
await measure(
  "batchSubmit",
  "job",
  async () => {
    const batches = await fillQueueTo(SCALE.deepJobs);
    return { ...batches, count: batches.count * BATCH, perSecond: batches.perSecond * BATCH };
  },
  { requestsPerJob: 1 },
);
await probe(`(${queued} queued)`);
let crowdStarted = 0;
await measure("register", "req", () => {
  crowdStarted = performance.now();
  return pool(SCALE.crowd, async (i) => {
    const res = await api("POST", "/v1/miners/register", crowdKeys[i % crowdKeys.length], { miner_id: `crowd-${i}`, capabilities: A100 });
    return expectStatus("register", res, 200, 201).ms;
  });
});
const crowdEnded = performance.now();
await probe(`(${SCALE.crowd} more miners)`);
// The crowd falls silent: once its heartbeat timeout has passed, the alarm marks it OFFLINE, bounded
// per tick. Polls of live miners run through the whole sweep.
const sweepAt = crowdStarted + HEARTBEAT_TIMEOUT_SECONDS * 1000;
await new Promise((r) => setTimeout(r, Math.max(0, sweepAt - performance.now())));
const sweepEnds = Math.max(performance.now() + 10_000, crowdEnded + HEARTBEAT_TIMEOUT_SECONDS * 1000 + 5000);
await measure(`emptyPoll (while ${SCALE.crowd} miners go OFFLINE)`, "req", () =>
  pool(
    Number.POSITIVE_INFINITY,
    async (i) => (await api("POST", "/v1/miners/poll", miner(i), { max_wait_seconds: 0 })).ms,
    CONCURRENCY,
    sweepEnds,
  ),
);

/** Resident memory of the dev server's whole process group (wrangler, workerd), from /proc. */
function residentMiB() {
  try {
    const pids = execFileSync("pgrep", ["-g", String(server.pid)], { encoding: "utf8" })
      .trim()
      .split("\n");
    const kb = pids.reduce((sum, pid) => {
      const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m);
      return sum + (line ? Number(line[1]) : 0);
    }, 0);
    return (kb / 1024).toFixed(0);
  } catch {
    return "n/a";
  }
}

// The coordinator of the phases above stops here, so its alarms (2 000 silent miners, 20 000 queued
// jobs) do not run beside the coordinators of the phases below.
const residentAfterMainPhases = residentMiB();
await server.stop();

// 5. Shards: the lifecycle with 1, 2 and 4 shards per region (BENCH_SHARDS), each on a coordinator of
// its own with fresh state. Locally every shard runs in the one workerd process on the same 2 cores,
// so this shows what sharding costs (stealing, more objects), not the scaling it buys in production.
// Then the lifecycle once more with its state on disk, and once in the development environment, whose
// rate-limit bindings the local runtime serves from a Durable Object of its own (its limits are far
// above what one lifecycle phase sends per key).
async function lifecycleOnOwnCoordinator(label, { shards = 1, stateRoot = STATE_ROOT, env = "bench" } = {}) {
  const own = await startDevServer({
    env,
    stateDir: freshStateDir(stateRoot),
    wranglerArgs: settings([
      ["SHARDS_PER_REGION", [shards]],
      ["LOG_LEVEL", ["warn"]],
    ]),
  });
  base = own.base;
  serverPid = own.pid;
  await registerMiners();
  await warmUp(() => api("GET", "/v1/nothing-here", client(0)));
  await lifecycles(`lifecycle ${label}`, N / 4);
  await measure(`lifecycle (${label})`, "job", () => lifecycles(`lifecycle ${label}`));
  await own.stop();
}
console.log("shards");
for (const shards of (process.env.BENCH_SHARDS ?? "1,2,4").split(",").map(Number)) {
  await lifecycleOnOwnCoordinator(`${shards} shard${shards === 1 ? "" : "s"}`, { shards });
}
if (STATE_ROOT !== DISK_STATE_ROOT) await lifecycleOnOwnCoordinator(`state on disk, ${DISK_STATE_ROOT}`, { stateRoot: DISK_STATE_ROOT });
await lifecycleOnOwnCoordinator("development env, its rate limits checked locally", { env: undefined });

const calibrations = results.filter((r) => r.base).map((r) => r.base);
console.log(
  `\ncheapest route: GET of an unknown route (404), measured before each phase: ${Math.min(...calibrations).toFixed(0)}–${Math.max(...calibrations).toFixed(0)} req/s`,
);
console.log(
  "ratio: the phase's req/s ÷ the cheapest route's (mean of just before and just after it); a lifecycle job counts 3 requests, a batch-submitted job 1",
);
console.log(
  "CPU ratio: the cheapest route's CPU ms per request ÷ the phase's, counted the same way (server process group and bench client together)",
);
console.log("Worker ms: CPU ms per unit of the workerd process that runs the Worker, its Durable Objects and D1 (one thread)");
console.log(
  "| phase | count | per s | p50 ms | p99 ms | ratio | CPU ms per unit | CPU ratio | Worker ms per unit |\n|---|---|---|---|---|---|---|---|---|",
);
const fixed = (value, digits = 2) => (value === null || value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits));
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.count} | ${r.perSecond.toFixed(0)} ${r.unit}/s | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${fixed(r.ratio)} | ${fixed(r.cpuMs, 1)} | ${fixed(r.cpuRatio)} | ${fixed(r.workerMs, 1)} |`,
  );
}
console.log(`unexpected statuses: ${JSON.stringify(unexpected)}`);
console.log(`memory: ${residentAfterMainPhases} MiB resident (wrangler + workerd) after the phases on the first coordinator`);
removeStateDirs();
process.exit(0);
