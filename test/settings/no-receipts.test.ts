import { describe, expect, it } from "vitest";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";

describe("without receipt keys", () => {
  it("says so in /v1/health and publishes no keys", async () => {
    expect((await call("GET", "/v1/health")).body.receipts).toBe("disabled");
    expect((await call("GET", "/v1/receipts/keys")).body.keys).toEqual([]);
  });

  it("completes jobs with receipt: null, and the receipt endpoints answer 404", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const job = await submit({ payload: {} });
    const lease = await pollAs(minerId);
    const done = await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: { ok: 1 }, lease_id: lease.body.lease_id });
    expect(done.body).toEqual({ status: "ok", receipt: null });
    expect((await call("GET", `/v1/jobs/${job.body.job_id}/result`, { key: "client" })).body).toEqual({ result: { ok: 1 }, receipt: null });
    expect((await call("GET", `/v1/jobs/${job.body.job_id}/receipt`, { key: "client" })).status).toBe(404);
  });
});
