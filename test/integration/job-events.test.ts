import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { appRequest, call, type KeyName, minerCall, openApp, pollAs, soloMinerAndJob, submit } from "../helpers/api";
import { scanForSecrets } from "../helpers/leak-scan";
import { freshRegion } from "../helpers/region";

async function openStream(jobId: string) {
  const res = await openApp(appRequest("GET", `/v1/jobs/${jobId}/events`, { key: "client", headers: { Accept: "text/event-stream" } }));
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
      const frame = buffer.slice(0, end);
      scanForSecrets("job event stream frame", frame);
      const data = frame.split("\n").find((l) => l.startsWith("data: "));
      if (data) events.push(JSON.parse(data.slice(6)));
      buffer = buffer.slice(end + 2);
    }
  }
  return events;
}

describe("job event stream", () => {
  it("sends the current state first, then every change, and ends after result.ready", async () => {
    const { minerId, jobId } = await soloMinerAndJob();
    const reader = await openStream(jobId);
    expect(await readEvents(reader, 1)).toEqual([expect.objectContaining({ type: "state.changed", state: "QUEUED", job_id: jobId })]);
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: lease.body.lease_id });
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

async function openSocket(jobId: string, key: KeyName = "client") {
  const res = await openApp(appRequest("GET", `/v1/jobs/${jobId}/events`, { key, headers: { Upgrade: "websocket" } }));
  const socket = res.webSocket;
  const messages: { type: string; state: string }[] = [];
  const closed = new Promise<number>((resolve) => socket?.addEventListener("close", (e) => resolve(e.code)));
  socket?.addEventListener("message", (e) => {
    scanForSecrets("job event WebSocket message", String(e.data));
    messages.push(JSON.parse(String(e.data)));
  });
  socket?.accept();
  return { status: res.status, socket, messages, closed };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe("job events over WebSocket", () => {
  it("sends the current state, then every change, and closes after result.ready", async () => {
    const { minerId, jobId } = await soloMinerAndJob("us-east");
    const ws = await openSocket(jobId);
    expect(ws.status).toBe(101);
    await until(() => ws.messages.length >= 1);
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: lease.body.lease_id });
    expect(await ws.closed).toBe(1000);
    expect(ws.messages.map((m) => [m.type, m.state])).toEqual([
      ["state.changed", "QUEUED"],
      ["state.changed", "RUNNING"],
      ["state.changed", "COMPLETED"],
      ["result.ready", "COMPLETED"],
    ]);
  });

  it("tells a finished job's state and closes", async () => {
    const job = await submit({ payload: {} });
    await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" });
    const ws = await openSocket(job.body.job_id);
    expect(await ws.closed).toBe(1000);
    expect(ws.messages).toEqual([expect.objectContaining({ type: "state.changed", state: "CANCELED" })]);
  });

  it("answers a client that closes without a code (1005) with 1000, and keeps serving the job", async () => {
    const { minerId, jobId } = await soloMinerAndJob("us-east");
    const dropped = await openSocket(jobId);
    await until(() => dropped.messages.length >= 1);
    dropped.socket!.close();
    const timedOut = new Promise<string>((resolve) => setTimeout(() => resolve("no close reply"), 2_000));
    expect(await Promise.race([dropped.closed, timedOut])).toBe(1000);
    const watcher = await openSocket(jobId);
    await until(() => watcher.messages.length >= 1);
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: lease.body.lease_id });
    expect(await watcher.closed).toBe(1000);
    expect(watcher.messages.map((m) => m.state)).toEqual(["QUEUED", "RUNNING", "COMPLETED", "COMPLETED"]);
  });

  it("handles closes with codes that cannot be sent back (1005, 1006) without throwing", async () => {
    const { stub } = freshRegion();
    await runInDurableObject(stub, (instance: RegionCoordinator, state) => {
      for (const code of [1005, 1006]) {
        const server = Object.values(new WebSocketPair())[1]!;
        state.acceptWebSocket(server, ["any-job"]);
        expect(() => instance.webSocketClose(server, code, "")).not.toThrow();
        expect(server.readyState).toBeGreaterThanOrEqual(WebSocket.CLOSING);
        // A socket that is already closing or gone (a dropped connection): closing it again does nothing.
        expect(() => instance.webSocketClose(server, 1006, "")).not.toThrow();
      }
    });
  });

  it("refuses another client's job with 404 before upgrading", async () => {
    const job = await submit({ payload: {} });
    const ws = await openSocket(job.body.job_id, "client2");
    expect(ws.status).toBe(404);
    expect(ws.socket).toBeNull();
  });
});
