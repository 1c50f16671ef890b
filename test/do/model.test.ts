// Randomized model test: random sequences of queue operations (polls whose answer is lost among them)
// against a real region DO, with the invariants of docs/reliability.md checked after every step and D1
// compared once the queue is quiet.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import type { Job } from "../../src/model/job";
import { isFinal } from "../../src/model/job";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { freshRegion, minerCall, newJob, type RegionStub, registration, setClock } from "../helpers/region";

const MINERS = [
  { id: "m0", concurrency: 1 },
  { id: "m1", concurrency: 2 },
  { id: "m2", concurrency: 1 },
];

type Op =
  | { op: "submit"; priority: number; maxAttempts: number; ttlSeconds: number }
  | { op: "poll"; miner: number; maxJobs: number; answerLost: boolean }
  | { op: "heartbeat"; miner: number; listsHeld: boolean }
  | { op: "result"; miner: number; pick: number; stale: boolean }
  | { op: "fail"; miner: number; pick: number; retryable: boolean }
  | { op: "cancel"; pick: number }
  | { op: "drain"; miner: number }
  | { op: "advance"; ms: number };

const miner = fc.integer({ min: 0, max: MINERS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("submit" as const),
    priority: fc.integer({ min: -2, max: 2 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    ttlSeconds: fc.integer({ min: 5, max: 120 }),
  }),
  fc.record({ op: fc.constant("poll" as const), miner, maxJobs: fc.integer({ min: 1, max: 3 }), answerLost: fc.boolean() }),
  fc.record({ op: fc.constant("heartbeat" as const), miner, listsHeld: fc.boolean() }),
  fc.record({ op: fc.constant("result" as const), miner, pick: fc.nat(), stale: fc.boolean() }),
  fc.record({ op: fc.constant("fail" as const), miner, pick: fc.nat(), retryable: fc.boolean() }),
  fc.record({ op: fc.constant("cancel" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("drain" as const), miner }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(500, 2_000, 10_000, 31_000, 60_000) }),
);

function allJobs(stub: RegionStub): Promise<Job[]> {
  return runInDurableObject(stub, (_i: RegionCoordinator, state) =>
    state.storage.sql
      .exec<{ doc: string }>("SELECT doc FROM jobs")
      .toArray()
      .map((r) => JSON.parse(r.doc) as Job),
  );
}

function checkInvariants(jobs: Job[], submitted: Set<string>, finals: Map<string, string>, receipts: Map<string, string>) {
  const byId = new Map(jobs.map((j) => [j.jobId, j]));
  for (const id of submitted) expect(byId.has(id), `job ${id} lost`).toBe(true);
  const leaseIds = new Set<string>();
  for (const job of jobs) {
    if (job.state === "RUNNING") {
      expect(job.leaseId && job.minerId).toBeTruthy();
      expect(leaseIds.has(job.leaseId!), "two live jobs share a lease").toBe(false);
      leaseIds.add(job.leaseId!);
    }
    const final = finals.get(job.jobId);
    if (final) expect(job.state, `final job ${job.jobId} moved`).toBe(final);
    if (isFinal(job.state)) finals.set(job.jobId, job.state);
    if (job.state === "COMPLETED") expect(job.receipt?.receipt_id).toBe(receipts.get(job.jobId));
  }
  for (const m of MINERS) {
    const running = jobs.filter((j) => j.state === "RUNNING" && j.minerId === m.id).length;
    expect(running, `miner ${m.id} over its concurrency`).toBeLessThanOrEqual(m.concurrency);
  }
}

it("keeps every queue invariant under random operation sequences", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
      const { name, stub, api } = freshRegion();
      let now = Date.UTC(2031, 0, 1);
      await setClock(stub, now);
      for (const m of MINERS) await api.register(registration(name, m.id, m.concurrency));
      const submitted = new Set<string>();
      const submittedOrder: string[] = [];
      const finals = new Map<string, string>();
      const receipts = new Map<string, string>();
      const leases: { jobId: string; leaseId: string; minerId: string }[] = [];

      for (const step of ops) {
        switch (step.op) {
          case "submit": {
            const job = newJob(name, { priority: step.priority, maxAttempts: step.maxAttempts, ttlSeconds: step.ttlSeconds });
            expect((await api.enqueue(job)).ok).toBe(true);
            submitted.add(job.jobId);
            submittedOrder.push(job.jobId);
            break;
          }
          case "poll": {
            // A lost answer (the runtime died on the way back) leaves a lease its miner never saw;
            // a later poll may carry it again, and only ever to the same miner.
            const minerId = MINERS[step.miner]!.id;
            const res = await api.poll(minerCall(minerId), step.maxJobs, 0);
            if (!res.ok) break;
            expect(res.value.length).toBeLessThanOrEqual(step.maxJobs);
            const jobs = await allJobs(stub);
            for (const a of res.value) {
              expect(jobs.find((j) => j.jobId === a.job_id)).toMatchObject({ state: "RUNNING", minerId, leaseId: a.lease_id });
              if (!step.answerLost) leases.push({ jobId: a.job_id, leaseId: a.lease_id, minerId });
            }
            break;
          }
          case "heartbeat": {
            // A miner that lists what it holds names only every other lease it got, to exercise give-backs.
            const minerId = MINERS[step.miner]!.id;
            const held = leases.filter((l, i) => l.minerId === minerId && i % 2 === 0).map((l) => l.jobId);
            await api.heartbeat(minerCall(minerId), {}, step.listsHeld ? held : undefined);
            break;
          }
          case "result": {
            const lease = leases[step.pick % Math.max(1, leases.length)];
            if (!lease) break;
            const who = step.stale ? MINERS[step.miner]!.id : lease.minerId;
            const res = await api.complete(minerCall(who), lease.jobId, lease.leaseId, { v: 1 }, {});
            if (res.ok && res.value.receipt) {
              const id = String(res.value.receipt.receipt_id);
              const known = receipts.get(lease.jobId);
              if (known) expect(id, "a second receipt for one job").toBe(known);
              receipts.set(lease.jobId, id);
            }
            break;
          }
          case "fail": {
            const lease = leases[step.pick % Math.max(1, leases.length)];
            if (lease)
              await api.fail(minerCall(MINERS[step.miner]!.id), lease.jobId, lease.leaseId, { code: "E", message: "" }, step.retryable);
            break;
          }
          case "cancel": {
            const jobId = submittedOrder[step.pick % Math.max(1, submittedOrder.length)];
            if (jobId) await api.cancel(jobId, "cli_test");
            break;
          }
          case "drain":
            await api.drain(minerCall(MINERS[step.miner]!.id));
            break;
          case "advance":
            now += step.ms;
            await setClock(stub, now);
            await runDurableObjectAlarm(stub);
            break;
        }
        checkInvariants(await allJobs(stub), submitted, finals, receipts);
      }

      // Quiet: the alarm flushes what is left; D1 must then agree with the DO on every job.
      await runDurableObjectAlarm(stub);
      for (const job of await allJobs(stub)) {
        const row = await env.DB.prepare("SELECT state, version FROM jobs WHERE job_id = ?")
          .bind(job.jobId)
          .first<{ state: string; version: number }>();
        expect(row).toEqual({ state: job.state, version: job.version });
      }
    }),
    { numRuns: 30 },
  );
}, 120_000);
