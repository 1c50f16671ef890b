// Randomized model test over the workers-global topology: two regions of two shard DOs each, with
// work stealing and spilling. Random operation sequences (polls whose answer is lost among them) drive the shards through their RPC methods
// as the Worker does; after every step the invariants of docs/reliability.md are checked over all
// four DOs, and D1 is compared with them once the queues are quiet. `npm run test:long` raises the
// number of runs (MODEL_RUNS).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { getConfig } from "../../src/config";
import type { Constraints, Job } from "../../src/model/job";
import { isFinal } from "../../src/model/job";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { minerShard, parseShardName, type ShardAddress, shardName } from "../../src/queue/shards";
import { GPU_MINER, minerCall, newJob, type RegionStub, registration } from "../helpers/region";

const config = getConfig(env);
const SHARDS: ShardAddress[] = config.regions.flatMap((r) =>
  Array.from({ length: config.shardsPerRegion }, (_, shard) => ({ region: r.name, shard })),
);
const REGIONS = config.regions.map((r) => r.name);
const NUM_RUNS = Number(env.MODEL_RUNS ?? 30);
const MAX_OPS = env.MODEL_RUNS ? 60 : 30;

const MINERS = [
  { id: "m0", region: REGIONS[0]!, concurrency: 1, capabilities: GPU_MINER.capabilities },
  { id: "m1", region: REGIONS[0]!, concurrency: 2, capabilities: GPU_MINER.capabilities },
  { id: "m2", region: REGIONS[1]!, concurrency: 1, capabilities: GPU_MINER.capabilities },
  { id: "m3", region: REGIONS[1]!, concurrency: 2, capabilities: {} },
];

const stubOf = (address: ShardAddress): RegionStub =>
  env.REGION_COORDINATOR.get(env.REGION_COORDINATOR.idFromName(shardName(address))) as RegionStub;
const apiOf = (address: ShardAddress) => stubOf(address) as unknown as RegionCoordinator;
const shardOfMiner = (m: (typeof MINERS)[number]): ShardAddress => ({ region: m.region, shard: minerShard(m.id, config.shardsPerRegion) });

type ConstraintKind = "none" | "region0" | "region1" | "gpu";
type Op =
  | { op: "submit"; shard: number; constraint: ConstraintKind; priority: number; maxAttempts: number; ttlSeconds: number }
  | { op: "poll"; miner: number; maxJobs: number; answerLost: boolean }
  | { op: "heartbeat"; miner: number; listsHeld: boolean }
  | { op: "result"; miner: number; pick: number; stale: boolean }
  | { op: "fail"; miner: number; pick: number; retryable: boolean }
  | { op: "cancel"; pick: number }
  | { op: "drain"; miner: number }
  | { op: "advance"; ms: number };

const miner = fc.integer({ min: 0, max: MINERS.length - 1 });
// Submits, polls and clock steps weigh more: a move needs a job that waits while a miner elsewhere polls.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("submit" as const),
      shard: fc.integer({ min: 0, max: SHARDS.length - 1 }),
      constraint: fc.constantFrom<ConstraintKind>("none", "none", "none", "region0", "region1", "gpu"),
      priority: fc.integer({ min: -2, max: 2 }),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
      ttlSeconds: fc.integer({ min: 5, max: 120 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("poll" as const), miner, maxJobs: fc.integer({ min: 1, max: 3 }), answerLost: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("heartbeat" as const), miner, listsHeld: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("result" as const), miner, pick: fc.nat(), stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("fail" as const), miner, pick: fc.nat(), retryable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("drain" as const), miner }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(500, 2_000, 2_000, 10_000, 31_000, 60_000) }),
  },
);

function constraintsOf(kind: ConstraintKind): Constraints {
  if (kind === "region0") return { region: REGIONS[0]! };
  if (kind === "region1") return { region: REGIONS[1]! };
  if (kind === "gpu") return { gpu: "A100" };
  return {};
}

interface Row {
  at: ShardAddress;
  job: Job;
  moved: boolean;
}

function allRows(): Promise<{ rows: Row[]; handoffs: number }> {
  return Promise.all(
    SHARDS.map((at) =>
      runInDurableObject(stubOf(at), (_i: RegionCoordinator, state) => ({
        rows: state.storage.sql
          .exec<{ doc: string; state: string }>("SELECT doc, state FROM jobs")
          .toArray()
          .map((r) => ({ at, job: JSON.parse(r.doc) as Job, moved: r.state === "MOVED" })),
        handoffs: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handoffs").one().n,
      })),
    ),
  ).then((all) => ({ rows: all.flatMap((a) => a.rows), handoffs: all.reduce((n, a) => n + a.handoffs, 0) }));
}

interface Model {
  origin: Map<string, ShardAddress>;
  finals: Map<string, string>;
  receipts: Map<string, string>;
}

function checkInvariants({ rows, handoffs }: { rows: Row[]; handoffs: number }, model: Model) {
  expect(handoffs, "a handoff left unconfirmed").toBe(0);
  // A forwarding record is frozen as the job was when it was handed over: QUEUED.
  for (const row of rows.filter((r) => r.moved)) expect(row.job.state, `forwarding record of ${row.job.jobId} changed`).toBe("QUEUED");
  const live = new Map<string, Row>();
  for (const row of rows.filter((r) => !r.moved)) {
    expect(live.has(row.job.jobId), `job ${row.job.jobId} has two live copies`).toBe(false);
    live.set(row.job.jobId, row);
  }
  const leaseIds = new Set<string>();
  for (const [jobId, origin] of model.origin) {
    const row = live.get(jobId);
    expect(row, `job ${jobId} lost`).toBeDefined();
    const { at, job } = row!;
    expect({ region: job.queuedRegion, shard: job.queuedShard }, "a job knows where it is queued").toEqual(at);
    if (job.constraints.region) expect(at.region, "a region constraint is hard").toBe(job.constraints.region);
    // The origin's forwarding records lead to the live copy.
    let hop: ShardAddress = origin;
    for (let hops = 0; hops < 8 && !(hop.region === at.region && hop.shard === at.shard); hops++) {
      const record = rows.find((r) => r.at.region === hop.region && r.at.shard === hop.shard && r.job.jobId === jobId);
      expect(record?.moved, `job ${jobId}: no forwarding record at ${shardName(hop)}`).toBe(true);
      hop = parseShardName(record!.job.movedTo)!;
    }
    expect(hop).toEqual(at);
    if (job.state === "RUNNING") {
      expect(job.leaseId && job.minerId).toBeTruthy();
      expect(leaseIds.has(job.leaseId!), "two live jobs share a lease").toBe(false);
      leaseIds.add(job.leaseId!);
      const m = MINERS.find((x) => x.id === job.minerId)!;
      expect(at, "a job runs in its miner's shard").toEqual(shardOfMiner(m));
    }
    const final = model.finals.get(jobId);
    if (final) expect(job.state, `final job ${jobId} moved`).toBe(final);
    if (isFinal(job.state)) model.finals.set(jobId, job.state);
    if (job.state === "COMPLETED") expect(job.receipt?.receipt_id).toBe(model.receipts.get(jobId));
  }
  for (const m of MINERS) {
    const running = [...live.values()].filter((r) => r.job.state === "RUNNING" && r.job.minerId === m.id).length;
    expect(running, `miner ${m.id} over its concurrency`).toBeLessThanOrEqual(m.concurrency);
  }
}

async function setClocks(at: number): Promise<void> {
  for (const address of SHARDS) {
    await runInDurableObject(stubOf(address), (instance: RegionCoordinator) => {
      instance.now = () => at;
    });
  }
}

const moves = { spills: 0, steals: 0 };

/** Empties the four shards between runs (the files of this project run one after another), counting their moves. */
async function wipe(): Promise<void> {
  for (const address of SHARDS) {
    await runInDurableObject(stubOf(address), (_i: RegionCoordinator, state) => {
      const counter = (key: string) =>
        Number(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? 0);
      moves.spills += counter("spilled_in");
      moves.steals += counter("stolen_in");
      for (const table of ["jobs", "queue_classes", "miners", "pending_cancels", "outbox", "handoffs", "meta"]) {
        state.storage.sql.exec(`DELETE FROM ${table}`);
      }
    });
  }
}

/** A sequence that surely steals (m0 polls, its job sits in the sibling shard) and spills (m2 polls in the other region). */
const MOVES_FOR_SURE: Op[] = [
  { op: "submit", shard: 1 - minerShard("m0", config.shardsPerRegion), constraint: "region0", priority: 0, maxAttempts: 1, ttlSeconds: 60 },
  { op: "poll", miner: 0, maxJobs: 1, answerLost: false },
  { op: "submit", shard: 0, constraint: "none", priority: 0, maxAttempts: 1, ttlSeconds: 60 },
  { op: "advance", ms: 2_000 },
  { op: "poll", miner: 2, maxJobs: 1, answerLost: false },
];

let run = 0;
let operations = 0;

it(
  "keeps every queue invariant across shards and regions under random operation sequences",
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: MAX_OPS, size: "max" }), async (ops) => {
        run += 1;
        await wipe();
        // Each run starts later than the last, so no shard's memory of its last spill ask holds it back.
        let now = Date.UTC(2031, 0, 1) + run * 86_400_000;
        await setClocks(now);
        for (const m of MINERS) {
          await apiOf(shardOfMiner(m)).register({ ...registration(m.region, m.id, m.concurrency, m.capabilities) });
        }
        const model: Model = { origin: new Map(), finals: new Map(), receipts: new Map() };
        const submittedOrder: string[] = [];
        const leases: { jobId: string; leaseId: string; minerId: string }[] = [];

        for (const step of ops) {
          operations += 1;
          switch (step.op) {
            case "submit": {
              const constraints = constraintsOf(step.constraint);
              // Like the Worker: a region constraint picks the region; the shard is random within it.
              const address = constraints.region
                ? { region: constraints.region, shard: step.shard % config.shardsPerRegion }
                : SHARDS[step.shard]!;
              const job = newJob(address.region, {
                constraints,
                priority: step.priority,
                maxAttempts: step.maxAttempts,
                ttlSeconds: step.ttlSeconds,
              });
              expect((await apiOf(address).enqueue(job)).ok).toBe(true);
              model.origin.set(job.jobId, address);
              submittedOrder.push(job.jobId);
              break;
            }
            case "poll": {
              // A lost answer (the runtime died on the way back) leaves a lease its miner never saw;
              // a later poll may carry it again, and only ever to the same miner.
              const m = MINERS[step.miner]!;
              const res = await apiOf(shardOfMiner(m)).poll(minerCall(m.id), step.maxJobs, 0);
              if (!res.ok) break;
              expect(res.value.length).toBeLessThanOrEqual(step.maxJobs);
              const live = (await allRows()).rows.filter((r) => !r.moved);
              for (const a of res.value) {
                const held = live.find((r) => r.job.jobId === a.job_id);
                expect(held?.job).toMatchObject({ state: "RUNNING", minerId: m.id, leaseId: a.lease_id });
                expect(held?.at).toEqual(shardOfMiner(m));
                if (!step.answerLost) leases.push({ jobId: a.job_id, leaseId: a.lease_id, minerId: m.id });
              }
              break;
            }
            case "heartbeat": {
              // A miner that lists what it holds names only every other lease it got, to exercise give-backs.
              const m = MINERS[step.miner]!;
              const held = leases.filter((l, i) => l.minerId === m.id && i % 2 === 0).map((l) => l.jobId);
              await apiOf(shardOfMiner(m)).heartbeat(minerCall(m.id), {}, step.listsHeld ? held : undefined);
              break;
            }
            case "result": {
              const lease = leases[step.pick % Math.max(1, leases.length)];
              if (!lease) break;
              const who = step.stale ? MINERS[step.miner]! : MINERS.find((m) => m.id === lease.minerId)!;
              const res = await apiOf(shardOfMiner(who)).complete(minerCall(who.id), lease.jobId, lease.leaseId, { v: 1 }, {});
              if (res.ok && res.value.receipt) {
                const id = String(res.value.receipt.receipt_id);
                const known = model.receipts.get(lease.jobId);
                if (known) expect(id, "a second receipt for one job").toBe(known);
                model.receipts.set(lease.jobId, id);
              }
              break;
            }
            case "fail": {
              const lease = leases[step.pick % Math.max(1, leases.length)];
              const m = MINERS[step.miner]!;
              if (lease)
                await apiOf(shardOfMiner(m)).fail(minerCall(m.id), lease.jobId, lease.leaseId, { code: "E", message: "" }, step.retryable);
              break;
            }
            case "cancel": {
              // Sent where the job was submitted, as the Worker does when D1 has not seen it move.
              const jobId = submittedOrder[step.pick % Math.max(1, submittedOrder.length)];
              if (jobId) await apiOf(model.origin.get(jobId)!).cancel(jobId, "cli_test");
              break;
            }
            case "drain": {
              const m = MINERS[step.miner]!;
              await apiOf(shardOfMiner(m)).drain(minerCall(m.id));
              break;
            }
            case "advance":
              now += step.ms;
              await setClocks(now);
              for (const address of SHARDS) await runDurableObjectAlarm(stubOf(address));
              break;
          }
          checkInvariants(await allRows(), model);
        }

        // Quiet: the alarms flush what is left; D1 must then agree with the live copy of every job.
        for (const address of SHARDS) await runDurableObjectAlarm(stubOf(address));
        for (const { job, at } of (await allRows()).rows.filter((r) => !r.moved)) {
          const row = await env.DB.prepare("SELECT state, version, queued_region, queued_shard FROM jobs WHERE job_id = ?")
            .bind(job.jobId)
            .first();
          expect(row).toEqual({ state: job.state, version: job.version, queued_region: at.region, queued_shard: at.shard });
        }
      }),
      { numRuns: NUM_RUNS, examples: [[MOVES_FOR_SURE]] },
    );
    await wipe();
    console.info(
      `model: ${run} runs, ${operations} operations over ${SHARDS.length} shards; ${moves.spills} spills, ${moves.steals} steals`,
    );
    expect(moves.spills, "the runs spilled jobs across regions").toBeGreaterThan(0);
    expect(moves.steals, "the runs stole jobs from sibling shards").toBeGreaterThan(0);
  },
  120_000 * Math.max(1, NUM_RUNS / 30),
);
