// Handing a queued job from one shard DO to another (workers-global: us-east has shards 0 and 1):
// the giver keeps a forwarding record and a handoff row until the taker has the job; adoption is
// idempotent; the giver's alarm delivers a handoff nobody confirmed; calls that reach the origin
// follow the job.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Handoff } from "../../src/queue/handoffs";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { shardName } from "../../src/queue/shards";
import { uniqueName } from "../helpers/api";
import { sseReader } from "../helpers/event-stream";
import { liveJob, minerCall, newJob, type RegionStub, registration, setClock } from "../helpers/region";

const GIVER = { region: "us-east", shard: 0 };
const TAKER = { region: "us-east", shard: 1 };
const stubOf = (address: typeof GIVER): RegionStub =>
  env.REGION_COORDINATOR.get(env.REGION_COORDINATOR.idFromName(shardName(address))) as RegionStub;
const apiOf = (address: typeof GIVER) => stubOf(address) as unknown as RegionCoordinator;

/** A job only a miner with this test's own GPU fits, queued at the giver and handed to the taker (not yet adopted). */
async function handedOver(): Promise<Handoff> {
  const gpu = uniqueName("gpu");
  const job = newJob("us-east", { constraints: { gpu } });
  await apiOf(GIVER).enqueue(job);
  const ask = { region: "us-east", capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] }, room: 1 };
  const given = await apiOf(GIVER).handOver([ask], TAKER, false);
  expect(given.map((h) => h.job.jobId)).toEqual([job.jobId]);
  return given[0]!;
}

const handoffRows = (stub: RegionStub) =>
  runInDurableObject(
    stub,
    (_i: RegionCoordinator, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handoffs").one().n,
  );

const streamRows = (stub: RegionStub, jobId: string) =>
  runInDurableObject(
    stub,
    (_i: RegionCoordinator, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM job_stream WHERE job_id = ?", jobId).one().n,
  );

const liveClock = (stub: RegionStub) =>
  runInDurableObject(stub, (instance: RegionCoordinator) => {
    instance.now = () => Date.now();
  });

const rowState = (stub: RegionStub, jobId: string) =>
  runInDurableObject(
    stub,
    (_i: RegionCoordinator, state) =>
      state.storage.sql.exec<{ state: string }>("SELECT state FROM jobs WHERE job_id = ?", jobId).toArray()[0]?.state,
  );

describe("handoffs between shards", () => {
  it("leaves a forwarding record that is never offered, and a cancel at the origin reaches the job where it is", async () => {
    const { job } = await handedOver();
    expect(await rowState(stubOf(GIVER), job.jobId)).toBe("MOVED");
    expect(await liveJob(stubOf(TAKER), job.jobId)).toBeNull();

    const canceled = await apiOf(GIVER).cancel(job.jobId, job.clientId);
    expect(canceled.ok && canceled.value.state).toBe("CANCELED");
    expect((await liveJob(stubOf(TAKER), job.jobId))?.state).toBe("CANCELED");
    expect(await rowState(stubOf(GIVER), job.jobId)).toBe("MOVED");
    expect(await handoffRows(stubOf(GIVER))).toBe(0);
  });

  it("adopts a job once, one version above the giver's: a repeated handoff changes nothing", async () => {
    const handoff = await handedOver();
    const { job } = handoff;
    await apiOf(TAKER).adopt([handoff]);
    const held = await liveJob(stubOf(TAKER), job.jobId);
    expect(held).toMatchObject({ state: "QUEUED", version: job.version + 1, queuedRegion: "us-east", queuedShard: 1 });
    expect(held?.movedTo).toBeUndefined();
    await apiOf(TAKER).cancel(job.jobId, job.clientId);
    await apiOf(TAKER).adopt([handoff]);
    expect((await liveJob(stubOf(TAKER), job.jobId))?.state).toBe("CANCELED");
  });

  it("delivers an unconfirmed handoff from the giver's alarm", async () => {
    const { job } = await handedOver();
    await setClock(stubOf(GIVER), Date.now() + 5_000);
    await runDurableObjectAlarm(stubOf(GIVER));
    expect((await liveJob(stubOf(TAKER), job.jobId))?.state).toBe("QUEUED");
    expect(await handoffRows(stubOf(GIVER))).toBe(0);
    await setClock(stubOf(GIVER), Date.now());
  });

  it("carries the job's event stream: a client resuming at the taker gets the giver's events, and ids go on where they stopped", async () => {
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    const job = newJob("us-east", { constraints: { gpu } });
    await apiOf(GIVER).register({ ...registration("us-east", minerId), capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
    await apiOf(GIVER).enqueue(job);
    const polled = await apiOf(GIVER).poll(minerCall(minerId), 1, 0);
    const leaseId = polled.ok ? polled.value[0]!.lease_id : "";
    expect((await apiOf(GIVER).progress(minerCall(minerId), job.jobId, { leaseId, seq: 0, output: "first attempt" })).ok).toBe(true);
    // The attempt fails; once its backoff is over the job is offered again, and a sibling's miner takes it.
    await apiOf(GIVER).fail(minerCall(minerId), job.jobId, leaseId, { code: "OOM", message: "" }, true);
    await setClock(stubOf(GIVER), Date.now() + 60_000);
    const ask = { region: "us-east", capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] }, room: 1 };
    const [handoff] = await apiOf(GIVER).handOver([ask], TAKER, false);
    await liveClock(stubOf(GIVER));
    expect(handoff!.stream.map((e) => [e.id, e.type])).toEqual([
      [2, "state.changed"],
      [3, "output.chunk"],
      [4, "state.changed"],
    ]);
    await apiOf(TAKER).adopt([handoff!]);
    await apiOf(GIVER).confirmHandoffs([job.jobId]);
    expect(await streamRows(stubOf(GIVER), job.jobId)).toBe(0);

    await apiOf(TAKER).cancel(job.jobId, job.clientId);
    const watched = await apiOf(TAKER).watch(job.jobId, job.clientId, 0);
    const events = await sseReader(watched.ok ? watched.value : new ReadableStream()).read();
    expect(events.map((e) => [e.id, e.type, e.state ?? e.data])).toEqual([
      [1, "state.changed", "QUEUED"],
      [2, "state.changed", "RUNNING"],
      [3, "output.chunk", "first attempt"],
      [4, "state.changed", "QUEUED"],
      [5, "state.changed", "CANCELED"],
    ]);
  });
});
