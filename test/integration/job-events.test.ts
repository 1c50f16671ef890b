import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RegionCoordinator } from "../../src/queue/region-coordinator";
import { call, minerCall, pollAs, soloMinerAndJob, submit } from "../helpers/api";
import { openSocket, openStream, until } from "../helpers/event-stream";
import { freshRegion } from "../helpers/region";

describe("job event stream", () => {
  it("sends the current state first, then every change, and ends after result.ready", async () => {
    const { minerId, jobId } = await soloMinerAndJob();
    const stream = await openStream(jobId);
    expect(await stream.read(1)).toEqual([expect.objectContaining({ type: "state.changed", state: "QUEUED", job_id: jobId })]);
    const lease = await pollAs(minerId);
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { result: {}, lease_id: lease.body.lease_id });
    const rest = await stream.read();
    expect(rest.map((e) => [e.type, e.state])).toEqual([
      ["state.changed", "RUNNING"],
      ["state.changed", "COMPLETED"],
      ["result.ready", "COMPLETED"],
    ]);
  });

  it("sends one event and ends for a job that is already final", async () => {
    const job = await submit({ payload: {} });
    await call("POST", `/v1/jobs/${job.body.job_id}/cancel`, { key: "client" });
    const events = await (await openStream(job.body.job_id)).read();
    expect(events).toEqual([expect.objectContaining({ type: "state.changed", state: "CANCELED" })]);
  });

  it("answers 404 for another client's job", async () => {
    const job = await submit({ payload: {} });
    const res = await call("GET", `/v1/jobs/${job.body.job_id}/events`, { key: "client2" });
    expect(res.status).toBe(404);
  });
});

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
