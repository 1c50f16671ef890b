import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Job } from "../../src/model/job";
import { MinerBook } from "../../src/queue/miner-book";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { type QueueSettings, RegionQueue } from "../../src/queue/region-queue";
import type { NewJob } from "../../src/queue/state-machine";
import { Store } from "../../src/queue/store";
import { uniqueName } from "./api";

export type RegionStub = DurableObjectStub<RegionCoordinator>;

/** A fresh region DO of its own, driven through its RPC methods like the Worker drives it. */
export function freshRegion(): { name: string; stub: RegionStub; api: RegionCoordinator } {
  return regionByName(uniqueName("region"));
}

export function regionByName(name: string): { name: string; stub: RegionStub; api: RegionCoordinator } {
  const stub = env.REGION_COORDINATOR.get(env.REGION_COORDINATOR.idFromName(`region:${name}`));
  return { name, stub, api: stub as unknown as RegionCoordinator };
}

/** Pins the DO's clock (the time seam); storage, D1 and crypto stay real. */
export function setClock(stub: RegionStub, at: number): Promise<void> {
  return runInDurableObject(stub, (instance: RegionCoordinator) => {
    instance.now = () => at;
  });
}

/** Pins the clock and runs the alarm, as the runtime would at that time. */
export async function alarmAt(stub: RegionStub, at: number): Promise<boolean> {
  await setClock(stub, at);
  return runDurableObjectAlarm(stub);
}

export function liveJob(stub: RegionStub, jobId: string): Promise<Job | null> {
  return runInDurableObject(stub, (_instance: RegionCoordinator, state) => {
    const row = state.storage.sql.exec<{ doc: string }>("SELECT doc FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    return row ? (JSON.parse(row.doc) as Job) : null;
  });
}

export function outboxSize(stub: RegionStub): Promise<number> {
  return runInDurableObject(
    stub,
    (_instance: RegionCoordinator, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
  );
}

/** Makes the DO's D1 writes fail (or work again) without touching D1 itself. */
export function setD1Failing(stub: RegionStub, failing: boolean): Promise<void> {
  return runInDurableObject(stub, (instance: RegionCoordinator) => {
    instance.d1 = failing
      ? (new Proxy(env.DB, {
          get: (target, prop) =>
            prop === "batch" ? () => Promise.reject(new Error("injected D1 outage")) : Reflect.get(target, prop, target),
        }) as D1Database)
      : env.DB;
  });
}

export async function d1Job(jobId: string) {
  return env.DB.prepare("SELECT state, version, attempts, assigned_miner_id FROM jobs WHERE job_id = ?").bind(jobId).first<{
    state: string;
    version: number;
    attempts: number;
    assigned_miner_id: string | null;
  }>();
}

export async function d1Events(jobId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT type FROM job_events WHERE job_id = ? ORDER BY seq").bind(jobId).all<{ type: string }>();
  return rows.results.map((r) => r.type);
}

/** The job's lease sessions in D1, oldest first: who ran which attempt, and how each ended. */
export async function d1Sessions(jobId: string) {
  const rows = await env.DB.prepare(
    "SELECT miner_id, attempt, ended_at, exit_reason FROM worker_sessions WHERE job_id = ? ORDER BY started_at",
  )
    .bind(jobId)
    .all<{ miner_id: string; attempt: number; ended_at: number | null; exit_reason: string | null }>();
  return rows.results.map((r) => ({ minerId: r.miner_id, attempt: r.attempt, ended: r.ended_at !== null, exitReason: r.exit_reason }));
}

let counter = 0;
export function newJob(region: string, overrides: Partial<NewJob> = {}): NewJob {
  counter += 1;
  const jobId = crypto.randomUUID().replace(/-/g, "");
  return {
    jobId,
    clientId: "cli_test",
    region,
    priority: 0,
    constraints: {},
    payload: { n: counter },
    payloadHash: `sha256:${"0".repeat(64)}`,
    ttlSeconds: 900,
    maxAttempts: 3,
    ...overrides,
  };
}

export const GPU_MINER = {
  capabilities: { gpus: [{ name: "A100", memory_mb: 81920 }], cuda: "12.4", models: ["llama3"], price: 1 },
  concurrency: 1,
};

export function registration(
  region: string,
  minerId: string,
  concurrency = 1,
  capabilities: Record<string, unknown> = GPU_MINER.capabilities,
) {
  return { minerId, ownerId: "mnr_test", region, capabilities, concurrency };
}

export const minerCall = (minerId: string) => ({ minerId, ownerId: "mnr_test" });

/** A time far from the real clock, where the DO tests pin the clock to start. */
export const T0 = Date.UTC(2030, 0, 1);

export interface MinerSetup {
  /** Pins the DO's clock there first; left alone when not given. */
  at?: number;
  minerId?: string;
  concurrency?: number;
  capabilities?: Record<string, unknown>;
}

/** A fresh region with one miner registered (by default "m1", an A100, one job at a time); `call` is that miner's. */
export async function regionWithMiner({ at, minerId = "m1", concurrency = 1, capabilities }: MinerSetup = {}) {
  const region = freshRegion();
  if (at !== undefined) await setClock(region.stub, at);
  await region.api.register(registration(region.name, minerId, concurrency, capabilities));
  return { ...region, call: minerCall(minerId) };
}

/** regionWithMiner with one job (`job` overrides newJob's fields) enqueued and leased to the miner. */
export async function leasedJob(setup: MinerSetup & { job?: Partial<NewJob> } = {}) {
  const region = await regionWithMiner(setup);
  const job = newJob(region.name, setup.job);
  await region.api.enqueue(job);
  const polled = await region.api.poll(region.call, 1, 0);
  if (!polled.ok || !polled.value[0]) throw new Error("poll refused");
  return { ...region, job, lease: polled.value[0] };
}

/** Queue settings as the test bindings make them, for tests that build a region's queue by hand. */
export const QUEUE_SETTINGS: QueueSettings = {
  heartbeatTimeoutMs: 30_000,
  leaseGraceMs: 20_000,
  retryBackoffBaseSeconds: 2,
  retryBackoffMaxSeconds: 300,
  finishedRetentionMs: 86_400_000,
  tickLimit: 500,
};

/** A region's queue over a DO's SQL storage (or a wrapper that counts what it reads or writes). */
export function queueOver(sql: SqlStorage, settings: QueueSettings = QUEUE_SETTINGS) {
  const store = new Store(sql);
  const miners = new MinerBook(store, settings.heartbeatTimeoutMs);
  return { store, miners, queue: new RegionQueue(store, settings, miners) };
}
