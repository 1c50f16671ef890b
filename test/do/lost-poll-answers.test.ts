// A poll whose answer never reached the miner (the runtime was killed after the lease committed) must
// not hold a job, or the miner's only slot, until the job's TTL: for each way a miner may follow the
// contract (docs/api.md "Poll"), the miner's next poll carries the lost lease again and the queue flows on.
import { describe, expect, it } from "vitest";
import type { AssignedJob } from "../../src/model/job";
import type { Outcome } from "../../src/queue/outcome";
import { d1Events, leasedJob, liveJob, minerCall, newJob, regionWithMiner, registration, setClock, T0 } from "../helpers/region";

const jobsOf = (polled: Outcome<AssignedJob[]>): AssignedJob[] => {
  if (!polled.ok) throw new Error(`poll refused: ${polled.code}`);
  return polled.value;
};

const byJobId = <T extends { job_id: string }>(jobs: T[]): T[] => [...jobs].sort((x, y) => x.job_id.localeCompare(y.job_id));

describe("a lease whose poll answer was lost", () => {
  it("(c) AITBC's one-job miner: the next poll carries it again; the result without lease_id completes it; the queue flows on", async () => {
    const { name, stub, api, call, job, lease } = await leasedJob({ at: T0 });
    const next = newJob(name);
    await api.enqueue(next);
    // What the Stage-1 miner sends whatever it holds; a count never gives back or confirms anything.
    await setClock(stub, T0 + 5_000);
    await api.heartbeat(call, { inflight: 0, status: "ONLINE" });

    const again = jobsOf(await api.poll(call, 1, 0));
    expect(again).toEqual([{ ...lease, lease_expires_at: new Date(T0 + 35_000).toISOString() }]);
    expect((await api.complete(call, job.jobId, undefined, { text: "ok" }, {})).ok).toBe(true);
    expect(jobsOf(await api.poll(call, 1, 0)).map((j) => j.job_id)).toEqual([next.jobId]);
    // One attempt, never lost: redelivery is not an event, and the job ran once.
    expect(await d1Events(job.jobId)).toEqual(["submitted", "leased", "completed"]);
  });

  it("(b) a miner that reports with lease_id and never heartbeats: a poll for its free slots gets back what it lacks", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0, concurrency: 2 });
    const [a, b, c] = [newJob(name), newJob(name), newJob(name)];
    await api.enqueue(a);
    await api.enqueue(b);
    const lost = byJobId(jobsOf(await api.poll(call, 2, 0)));
    expect(lost.map((j) => j.job_id)).toEqual(byJobId([a, b].map((j) => ({ job_id: j.jobId }))).map((j) => j.job_id));

    // Idle, the miner asks for two: both lost leases come back, unchanged.
    await setClock(stub, T0 + 1_000);
    await api.enqueue(c);
    const again = byJobId(jobsOf(await api.poll(call, 2, 0)));
    expect(again).toEqual(lost.map((j) => ({ ...j, lease_expires_at: new Date(T0 + 31_000).toISOString() })));
    const [first, second] = again as [AssignedJob, AssignedJob];
    expect((await api.complete(call, first.job_id, first.lease_id, { v: 1 }, {})).ok).toBe(true);
    // Running the other, it asks for one: that one is accounted for, so it gets new work.
    expect(jobsOf(await api.poll(call, 1, 0)).map((j) => j.job_id)).toEqual([c.jobId]);
    expect((await api.complete(call, second.job_id, second.lease_id, { v: 1 }, {})).ok).toBe(true);
  });

  it("(b) a busy miner whose poll leaves unclear which lease it lacks gets no new work until it is idle, then its lost lease", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0, concurrency: 2 });
    const [a, b, c] = [newJob(name), newJob(name), newJob(name)];
    await api.enqueue(a);
    const [lostA] = jobsOf(await api.poll(call, 1, 0));
    await setClock(stub, T0 + 1_000);
    await api.enqueue(b);
    // One slot free as far as the region knows, and the miner says one is free: consistent.
    const [runningB] = jobsOf(await api.poll(call, 1, 0));
    expect(runningB!.job_id).toBe(b.jobId);
    await api.enqueue(c);
    // Running b, the miner says one slot is free, but the region counts two: a or b is missing, and
    // guessing could start b twice. No redelivery and no new work, so the miner's slots empty.
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([]);
    expect((await api.complete(call, b.jobId, runningB!.lease_id, { v: 1 }, {})).ok).toBe(true);
    // Idle, it says two are free: a was certainly never received. It comes back, and c with it.
    const answer = jobsOf(await api.poll(call, 2, 0));
    expect(answer).toEqual([
      { ...lostA, lease_expires_at: new Date(T0 + 31_000).toISOString() },
      expect.objectContaining({ job_id: c.jobId }),
    ]);
  });

  it("(a) a miner that heartbeats its list: a confirmed lease is never sent again, an unconfirmed one is at once", async () => {
    const { name, stub, api, call } = await regionWithMiner({ at: T0, concurrency: 2 });
    for (const job of [newJob(name), newJob(name)]) await api.enqueue(job);
    const [received] = jobsOf(await api.poll(call, 1, 0));
    const [lost] = jobsOf(await api.poll(call, 1, 0));
    await api.heartbeat(call, {}, [received!.job_id]);
    // Within the grace period the list gives nothing back; a poll at capacity still gets the lost lease.
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([lost]);
    await api.heartbeat(call, {}, [received!.job_id, lost!.job_id]);
    // Both confirmed: a poll now means a result is on its way, not that a lease was lost.
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([]);
    expect(await liveJob(stub, lost!.job_id)).toMatchObject({ state: "RUNNING", leaseConfirmed: true, leaseDeliveries: 2 });
  });

  it("is sent at most three times; then the lease is lost and the job leased afresh as its next attempt", async () => {
    const { stub, api, call, job, lease } = await leasedJob({ at: T0 });
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([lease]);
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([lease]);
    const fourth = jobsOf(await api.poll(call, 1, 0));
    expect(fourth).toMatchObject([{ job_id: job.jobId, attempt: 2 }]);
    expect(fourth[0]!.lease_id).not.toBe(lease.lease_id);
    expect(await liveJob(stub, job.jobId)).toMatchObject({ state: "RUNNING", attempts: 1, leaseDeliveries: 1 });
    expect(await d1Events(job.jobId)).toEqual(["submitted", "leased", "lease_lost", "leased"]);
  });

  it("is never handed to another miner, and a draining miner still gets its own back", async () => {
    const { name, api, call, job, lease } = await leasedJob({ at: T0 });
    await api.register(registration(name, "m2"));
    expect(jobsOf(await api.poll(minerCall("m2"), 1, 0))).toEqual([]);
    await api.drain(call);
    expect(jobsOf(await api.poll(call, 1, 0))).toEqual([lease]);
    expect((await api.complete(call, job.jobId, lease.lease_id, {}, {})).ok).toBe(true);
  });
});
