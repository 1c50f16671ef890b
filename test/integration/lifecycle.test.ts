import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";

describe("a job's whole life", () => {
  it("goes submit → poll → result → receipt", async () => {
    const region = "eu-west";
    const minerId = uniqueName("m");
    expect((await registerMiner(minerId, { region })).status).toBe(200);
    const created = await submit({ payload: { prompt: "hi" }, constraints: { region } });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe("QUEUED");
    const assigned = await pollAs(minerId);
    expect(assigned.status).toBe(200);
    expect(assigned.body.job_id).toBe(created.body.job_id);
    expect(assigned.body.payload).toEqual({ prompt: "hi" });
    const done = await minerCall(minerId, `/v1/miners/${created.body.job_id}/result`, {
      result: { text: "hello" },
      metrics: { units: 1.5, duration_ms: 1500, price: 0.1 },
      lease_id: assigned.body.lease_id,
    });
    expect(done.status).toBe(200);
    expect(done.body.receipt.job_id).toBe(created.body.job_id);
    const result = await call("GET", `/v1/jobs/${created.body.job_id}/result`, { key: "client" });
    expect(result.status).toBe(200);
    expect(result.body.result).toEqual({ text: "hello" });
    expect(result.body.receipt).toEqual(done.body.receipt);
    const view = await call("GET", `/v1/jobs/${created.body.job_id}`, { key: "client" });
    expect(view.body.state).toBe("COMPLETED");
    expect(view.body.assigned_miner_id).toBe(minerId);
  });
});
