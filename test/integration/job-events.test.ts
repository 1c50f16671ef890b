import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";

async function openStream(jobId: string) {
  const res = await exports.default.fetch(
    new Request(`http://coordinator.test/v1/jobs/${jobId}/events`, { headers: { "X-Api-Key": TEST_KEYS.client, Accept: "text/event-stream" } }),
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return res.body!.pipeThrough(new TextDecoderStream()).getReader();
}

/** Reads frames until the stream ends or `count` events have arrived. */
async function readEvents(reader: ReadableStreamDefaultReader<string>, count = Infinity) {
  const events: { type: string; state: string; event?: string }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const data = buffer.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
      if (data) events.push(JSON.parse(data.slice(6)));
      buffer = buffer.slice(end + 2);
    }
  }
  return events;
}

describe("job event stream", () => {
  it("sends the current state first, then every change, and ends after result.ready", async () => {
    const region = "eu-west";
    const gpu = uniqueName("gpu");
    const minerId = uniqueName("m");
    await registerMiner(minerId, { region, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });
    const job = await submit({ payload: {}, constraints: { region, gpu } });
    const reader = await openStream(job.body.job_id);
    expect(await readEvents(reader, 1)).toEqual([expect.objectContaining({ type: "state.changed", state: "QUEUED", job_id: job.body.job_id })]);
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: {}, lease_id: lease.body.lease_id });
    const rest = await readEvents(reader);
    expect(rest.map((e) => [e.type, e.state])).toEqual([
      ["state.changed", "RUNNING"],
      ["state.changed", "COMPLETED"],
      ["result.ready", "COMPLETED"],
    ]);
  });

  it("sends one event and ends for a job that is already final", async () => {
    const job = await submit({ payload: {} });
    await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" });
    const events = await readEvents(await openStream(job.body.job_id));
    expect(events).toEqual([expect.objectContaining({ type: "state.changed", state: "CANCELED" })]);
  });

  it("answers 404 for another client's job", async () => {
    const job = await submit({ payload: {} });
    const res = await call("GET", `/v1/jobs/${job.body.job_id}/events`, { key: "client2" });
    expect(res.status).toBe(404);
  });
});
