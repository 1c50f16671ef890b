// `npm run demo`: the whole network on this machine, offline, in well under a minute.
//   1. a throwaway coordinator with two regions (scripts/dev-server.mjs: fresh state and keys);
//   2. two reference miners, one per region: a `shell` miner in eu-west that streams lines of output,
//      a `sleep` miner in us-east that simulates GPU seconds and reports progress;
//   3. a client (the SDK) that submits one batch for both regions, follows one job's output live,
//      waits for every job, and verifies every receipt against GET /v1/receipts/keys;
//   4. a summary; the miners drain (SIGTERM) and the coordinator stops. Exit 0 when all went well.
import { type DevServer, startDevServer } from "../scripts/dev-server.mjs";
import { type BatchJob, CoordinatorClient, type JobView } from "../sdk";
import { type MinerProcess, spawnMiner } from "./spawn";

const REGIONS = "eu-west:weur,us-east:enam";
const CLIENT_KEY = "demo-client-key";
const MINERS = [
  {
    id: "gpu-eu-1",
    key: "demo-miner-eu",
    region: "eu-west",
    model: "llm-7b",
    args: [
      "--gpu",
      "A100",
      "--vram-mb",
      "81920",
      "--runner",
      "shell",
      // Reads the payload, then "generates" one line at a time.
      "--command",
      'read -r payload; for i in 1 2 3 4 5; do echo "token $i of 5 for $payload"; sleep 0.15; done',
    ],
  },
  {
    id: "gpu-us-1",
    key: "demo-miner-us",
    region: "us-east",
    model: "sdxl",
    args: ["--gpu", "L4", "--vram-mb", "24576", "--runner", "sleep"],
  },
] as const;
const JOBS_PER_REGION = 4;

const say = (line: string) => console.log(line);

async function main(): Promise<boolean> {
  const started = Date.now();
  say(`demo: starting a throwaway coordinator with regions ${REGIONS} …`);
  let server: DevServer | undefined;
  const miners: MinerProcess[] = [];
  try {
    server = await startDevServer({
      vars: {
        REGIONS,
        HEARTBEAT_INTERVAL_SECONDS: "2",
        CLIENT_API_KEYS: CLIENT_KEY,
        MINER_API_KEYS: MINERS.map((m) => m.key).join(","),
      },
    });
    say(`demo: coordinator at ${server.base} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    for (const m of MINERS) {
      const args = [
        "--url",
        server.base,
        "--key",
        m.key,
        "--id",
        m.id,
        "--region",
        m.region,
        "--models",
        m.model,
        "--concurrency",
        "2",
        ...m.args,
      ];
      // Their notes (registration, drain) are shown; their status lines are summed up at the end.
      miners.push(spawnMiner(args, (line) => line.startsWith("miner:") && say(`  [${m.id}] ${line.slice("miner: ".length)}`)));
    }
    await Promise.all(miners.map((miner) => miner.waitFor(/registered as/, 60_000)));

    const client = new CoordinatorClient({ baseUrl: server.base, apiKey: CLIENT_KEY });
    const batch: BatchJob[] = [];
    for (let n = 1; n <= JOBS_PER_REGION; n++) {
      batch.push({ payload: { prompt: `hello ${n}` }, constraints: { region: "eu-west", models: ["llm-7b"] } });
      batch.push({ payload: { seconds: 0.3 + n * 0.1 }, constraints: { region: "us-east", models: ["sdxl"], gpu: "L4" } });
    }
    const { items } = await client.jobs.submitBatch(batch);
    const ids = items.map((item) => {
      if (!("job" in item) || !item.job) throw new Error(`a job was refused: ${JSON.stringify(item)}`);
      return item.job.job_id;
    });
    say(`demo: submitted ${ids.length} jobs in one batch (${JOBS_PER_REGION} per region)`);

    // Follow the first eu-west job from its first event (after=0: its whole history, then live).
    const watched = ids[0]!;
    say(`demo: following job ${watched}:`);
    for await (const event of client.jobs.events(watched, { lastEventId: "0" })) {
      if (event.type === "output.chunk") for (const line of event.data.trimEnd().split("\n")) say(`  │ ${line}`);
      else if (event.type === "state.changed") say(`  │ state ${event.state}`);
    }

    const jobs = await Promise.all(ids.map((id) => client.jobs.wait(id)));
    const keys = await client.receipts.keys();
    let valid = 0;
    for (const job of jobs) {
      if (job.state !== "COMPLETED") continue;
      const verdict = await client.receipts.verify(await client.jobs.result(job.job_id), { keys });
      if (verdict.valid) valid++;
      else say(`demo: receipt of ${job.job_id} does not verify: ${verdict.reasons.join(", ")}`);
    }

    say("demo: drain the miners (SIGTERM)");
    for (const miner of miners) miner.child.kill("SIGTERM");
    const exits = await Promise.all(miners.map((miner) => miner.exited));

    say("");
    say(summary(jobs));
    for (const [i, miner] of miners.entries()) say(`${MINERS[i]!.id}: ${lastStatus(miner)}, exit ${exits[i]}`);
    const completed = jobs.filter((job) => job.state === "COMPLETED").length;
    say(`receipts: ${valid} of ${completed} verify against ${server.base}/v1/receipts/keys (${keys.keys.length} keys)`);
    const ok = completed === jobs.length && valid === completed && exits.every((code) => code === 0);
    say(`demo: ${ok ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return ok;
  } finally {
    for (const miner of miners) if (miner.child.exitCode === null) miner.child.kill("SIGKILL");
    await server?.stop();
  }
}

function summary(jobs: JobView[]): string {
  const rows = jobs.map((job) => [job.job_id.slice(0, 12), job.region, job.ran_region ?? "-", job.assigned_miner_id ?? "-", job.state]);
  const header = ["job", "region", "ran in", "miner", "state"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

function lastStatus(miner: MinerProcess): string {
  const lines = miner.output().trimEnd().split("\n");
  return lines.findLast((line) => line.includes(" | done ")) ?? "(no status)";
}

const ok = await main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.stack : String(error)}`);
  return false;
});
process.exit(ok ? 0 : 1);
