// The SDK runs where the Worker runs: inside workerd, with workerd's fetch, streams and Web Crypto.
// Its requests reach the Worker through a door of test/helpers/api.ts; nothing is mocked.
import { describe, expect, it } from "vitest";
import { CoordinatorClient, CoordinatorError, type JobEvent } from "../../sdk";
import { fetchResponse, uniqueName } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";

const clientFor = (apiKey: string) =>
  new CoordinatorClient({ baseUrl: "http://coordinator.test/", apiKey, fetch: fetchResponse, retry: { retries: 0 } });

describe("the SDK inside workerd", () => {
  it("runs a job's whole life: submit, poll, progress, result, events, receipt verified against the published keys", async () => {
    const client = clientFor(TEST_KEYS.client);
    const miner = clientFor(TEST_KEYS.miner);
    const model = uniqueName("sdk-model");
    const { miner_id: minerId } = await miner.miners.register({ miner_id: uniqueName("sdk-m"), capabilities: { models: [model] } });

    const { job, replayed } = await client.jobs.submit({ payload: { prompt: "hi" }, constraints: { models: [model] } });
    expect(replayed).toBe(false);
    expect(job.trace_id).toMatch(/^[0-9a-f]{32}$/);

    const [leased] = await miner.miners.poll({ max_wait_seconds: 0 }, { minerId });
    expect(leased?.job_id).toBe(job.job_id);
    const report = { minerId, traceparent: leased!.traceparent };
    expect(
      await miner.miners.progress(job.job_id, { lease_id: leased!.lease_id, seq: 1, progress: 0.5, output: "half\n" }, report),
    ).toMatchObject({
      seq: 1,
      duplicate: false,
      canceled: false,
    });
    const { receipt } = await miner.miners.result(job.job_id, { result: { text: "done" }, lease_id: leased!.lease_id }, report);
    expect(receipt?.job_id).toBe(job.job_id);

    const events: JobEvent[] = [];
    for await (const event of client.jobs.events(job.job_id, { lastEventId: "0" })) events.push(event);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["job.progress", "output.chunk", "result.ready"]));
    expect(events.at(-1)?.type === "state.changed" || events.at(-1)?.type === "result.ready").toBe(true);

    const document = await client.jobs.result(job.job_id);
    expect(document.result).toEqual({ text: "done" });
    expect((await client.receipts.verify(document)).valid).toBe(true);
    const tampered = { ...document, receipt: { ...document.receipt!, units: 1_000_000 } };
    expect((await client.receipts.verify(tampered)).valid).toBe(false);
  });

  it("throws the coordinator's typed errors", async () => {
    const client = clientFor(TEST_KEYS.client);
    const refused = await client.jobs.get("0".repeat(32)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CoordinatorError);
    expect(refused).toMatchObject({ status: 404, code: "JOB_NOT_FOUND" });
    await expect(client.jobs.submit({ payload: {}, priority: 101 })).rejects.toMatchObject({
      status: 422,
      details: [{ field: "priority" }],
    });
    await expect(clientFor("not-a-key").jobs.list()).rejects.toMatchObject({ status: 401, code: "UNAUTHORIZED_KEY" });
  });
});
