// Each test file runs with storage of its own, so this file's first read of the stats sees no job and
// no miner at all.
import { expect, it } from "vitest";
import { call, registerMiner, submit, uniqueName } from "../helpers/api";

it("lists every job state and miner status in the stats, 0 for those without jobs or miners", async () => {
  const empty = await call("GET", "/v1/admin/stats", { key: "admin" });
  expect(empty.status).toBe(200);
  expect(empty.body.jobs).toEqual({
    total: 0,
    active: 0,
    by_state: { QUEUED: 0, RUNNING: 0, COMPLETED: 0, FAILED: 0, CANCELED: 0, EXPIRED: 0 },
  });
  expect(empty.body.miners.by_status).toEqual({ ONLINE: 0, DRAINING: 0, OFFLINE: 0 });

  await registerMiner(uniqueName("m"), { region: "local" });
  await submit({ payload: {}, constraints: { region: "local", gpu: "stats-gpu-nobody-has" } });
  const some = await call("GET", "/v1/admin/stats", { key: "admin" });
  expect(some.body.jobs).toEqual({
    total: 1,
    active: 1,
    by_state: { QUEUED: 1, RUNNING: 0, COMPLETED: 0, FAILED: 0, CANCELED: 0, EXPIRED: 0 },
  });
  expect(some.body.miners.by_status).toEqual({ ONLINE: 1, DRAINING: 0, OFFLINE: 0 });
});
