#!/usr/bin/env node
// `npm run bench`: starts the coordinator with `npm start`'s script on a free loopback port, with a
// throwaway state directory and vars file, drives bounded load through real HTTP and prints figures.
// Only 127.0.0.1 is ever contacted. Every loop is bounded in count; the whole run stops by itself.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { firstKey, startDevServer } from "./dev-server.mjs";

const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const server = await startDevServer();
const { base, vars } = server;
process.on("exit", () => server.stop());
const keys = { client: firstKey(vars, "CLIENT_API_KEYS"), miner: firstKey(vars, "MINER_API_KEYS") };

async function api(method, path, key, body, headers = {}) {
  const started = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { "X-Api-Key": key, ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

async function pool(count, worker) {
  let next = 0;
  const latencies = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        latencies.push(await worker(i));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  return { perSecond: (count / seconds).toFixed(0), p50: pct(50), p99: pct(99) };
}

// Rate limits count per principal, as many real clients and miners would spread the load; the bench
// makes enough keys through the admin API that no phase reaches a limit.
const admin = firstKey(vars, "ADMIN_API_KEYS");
async function makeKeys(role, count) {
  const made = [];
  for (let i = 0; i < count; i++) made.push((await api("POST", "/v1/admin/keys", admin, { role, name: `bench ${role} ${i}` })).body.key);
  return made;
}
const clients = await makeKeys("client", CONCURRENCY * 2);
const minerKeys = await makeKeys("miner", CONCURRENCY);
const statuses = {};
const count = (phase, status) => {
  statuses[phase] ??= {};
  statuses[phase][status] = (statuses[phase][status] ?? 0) + 1;
};

const results = {};
/** One request at a time: latency without queueing. */
async function sequential(call) {
  const ms = [];
  for (let i = 0; i < 30; i++) ms.push((await call(i)).ms);
  ms.sort((a, b) => a - b);
  return { perSecond: (1000 / (ms.reduce((a, b) => a + b) / ms.length)).toFixed(0), p50: ms[15].toFixed(1), p99: ms[29].toFixed(1) };
}
results.sequentialSubmit = await sequential((i) => api("POST", "/v1/jobs", clients[0], { payload: { warm: i } }));
await api("POST", "/v1/miners/register", keys.miner, { capabilities: { gpus: [{ name: "none", memory_mb: 1 }] } });
results.sequentialHealth = await sequential(() => api("GET", "/v1/health", keys.client));
results.sequentialEmptyPoll = await sequential(() => api("POST", "/v1/miners/poll", keys.miner, { max_wait_seconds: 0 }));
// Baseline: the whole middleware stack and the 404 handler, no storage and no rate limiter.
results.unknownRoute = await pool(SUBMITS, async () => (await api("GET", "/v1/nothing-here", keys.client)).ms);

const jobIds = [];
results.submit = await pool(SUBMITS, async (i) => {
  const res = await api("POST", "/v1/jobs", clients[i % clients.length], { payload: { prompt: `bench ${i}` } });
  count("submit", res.status);
  if (res.status === 201) jobIds.push({ jobId: res.body.job_id, key: clients[i % clients.length] });
  return res.ms;
});

results.getJob = await pool(jobIds.length, async (i) => {
  const res = await api("GET", `/v1/jobs/${jobIds[i].jobId}`, jobIds[i].key);
  count("getJob", res.status);
  return res.ms;
});

for (let m = 0; m < minerKeys.length; m++) {
  await api("POST", "/v1/miners/register", minerKeys[m], { capabilities: { gpus: [{ name: "A100", memory_mb: 81920 }] }, concurrency: 1 });
}
let receipt;
results.pollAndResult = await pool(jobIds.length, async (i) => {
  const key = minerKeys[i % minerKeys.length];
  const polled = await api("POST", "/v1/miners/poll", key, { max_wait_seconds: 0 });
  count("pollAndResult", polled.status);
  if (polled.status !== 200) return polled.ms;
  const done = await api("POST", `/v1/miners/${polled.body.job_id}/result`, key, {
    result: { ok: true },
    metrics: { units: 1 },
    lease_id: polled.body.lease_id,
  });
  count("pollAndResult", done.status);
  if (done.status === 200) receipt = done.body.receipt;
  return polled.ms + done.ms;
});

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

console.log(`\nedge-coordinator bench (wrangler dev on 127.0.0.1, ${CONCURRENCY} concurrent requests, ${SUBMITS} per phase)`);
console.log("phase                 req/s   p50 ms   p99 ms");
for (const [phase, r] of Object.entries(results)) {
  console.log(`${phase.padEnd(20)} ${r.perSecond.padStart(6)} ${r.p50.padStart(8)} ${r.p99.padStart(8)}`);
}
console.log("(pollAndResult: one poll plus one result per job, timed together)");
console.log(`statuses: ${JSON.stringify(statuses)}`);
console.log(`receipt issued: ${receipt ? "yes" : "no"}; memory: ${residentMiB()} MiB resident (wrangler + workerd) after the run`);
await server.stop();
process.exit(0);
