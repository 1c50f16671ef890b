import { abortAllDurableObjects } from "cloudflare:test";
import { expect, it } from "vitest";
import { pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { captureWarnings } from "../helpers/warnings";

it("answers a parked long-poll with 204 when its region DO is reset, and the next poll gets work", async () => {
  const warnings = captureWarnings();
  const minerId = uniqueName("m");
  await registerMiner(minerId, { region: "local" });
  const started = Date.now();
  const parked = pollAs(minerId, { max_wait_seconds: 20 });
  await new Promise((r) => setTimeout(r, 100));
  await abortAllDurableObjects();
  const res = await parked;
  expect(res.status).toBe(204);
  expect(Date.now() - started).toBeLessThan(5_000);
  const job = await submit({ payload: {}, constraints: { region: "local" } });
  const again = await pollAs(minerId);
  expect(again.status).toBe(200);
  expect(again.body.job_id).toBe(job.body.job_id);
  expect(warnings.map((line) => JSON.parse(line).msg)).toEqual(["parked poll interrupted"]);
});
