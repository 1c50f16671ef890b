import { describe, expect, it } from "vitest";
import * as jobs from "../../src/routes/jobs/jobs.routes";
import * as miners from "../../src/routes/miners/miners.routes";
import { callRoute, pollAs, registerMiner, uniqueName } from "../helpers/api";

describe("a job's whole life", () => {
  it("goes submit → poll → result → receipt", async () => {
    const region = "eu-west";
    const minerId = uniqueName("m");
    expect((await registerMiner(minerId, { region })).status).toBe(200);
    const created = await callRoute(jobs.submitJob, { key: "client", body: { payload: { prompt: "hi" }, constraints: { region } } });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe("QUEUED");
    const assigned = await pollAs(minerId);
    expect(assigned.status).toBe(200);
    expect(assigned.body.job_id).toBe(created.body.job_id);
    expect(assigned.body.payload).toEqual({ prompt: "hi" });
    const jobParams = { job_id: created.body.job_id };
    const done = await callRoute(miners.result, {
      key: "miner",
      params: jobParams,
      headers: { "X-Miner-Id": minerId },
      body: { result: { text: "hello" }, metrics: { units: 1.5, duration_ms: 1500, price: 0.1 }, lease_id: assigned.body.lease_id },
    });
    expect(done.status).toBe(200);
    expect(done.body.receipt?.job_id).toBe(created.body.job_id);
    const result = await callRoute(jobs.getJobResult, { key: "client", params: jobParams });
    expect(result.status).toBe(200);
    expect(result.body.result).toEqual({ text: "hello" });
    expect(result.body.receipt).toEqual(done.body.receipt);
    const view = await callRoute(jobs.getJob, { key: "client", params: jobParams });
    expect(view.body.state).toBe("COMPLETED");
    expect(view.body.assigned_miner_id).toBe(minerId);
  });
});
