import { describe, expect, it } from "vitest";
import { buildUnsignedReceipt } from "../../src/receipts/build";
import { importSigningSeed } from "../../src/receipts/keys";
import { signReceipt } from "../../src/receipts/sign-receipt";
import * as receiptRoutes from "../../src/routes/receipts/receipts.routes";
import { callRoute, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { describeCorpusOverHttp } from "../helpers/receipt-corpus";
import { TEST_SEEDS } from "../helpers/test-bindings";
import { sampleInput } from "../unit/receipts/fixtures";

const OLD_KEY_ID = "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q";

describe("after a signing key rotation", () => {
  it("lists the old key as retired and the new one as active", async () => {
    const keys = (await callRoute(receiptRoutes.listKeys)).body.keys;
    expect(keys).toEqual([
      expect.objectContaining({ use: "signing", status: "active" }),
      expect.objectContaining({ key_id: OLD_KEY_ID, use: "signing", status: "retired" }),
    ]);
  });

  it("keeps verifying receipts signed with the retired key", async () => {
    const old = await importSigningSeed(TEST_SEEDS.signing);
    const receipt = await signReceipt(buildUnsignedReceipt(sampleInput()), old);
    expect((await callRoute(receiptRoutes.verify, { body: receipt })).body).toEqual({ valid: true, reasons: [] });
  });

  it("signs new receipts with the new key", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const job = await submit({ payload: {} });
    const lease = await pollAs(minerId);
    const done = await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: {}, lease_id: lease.body.lease_id });
    expect(done.body.receipt.signature.key_id).not.toBe(OLD_KEY_ID);
    expect(done.body.receipt.attestations).toBeUndefined();
    expect((await callRoute(receiptRoutes.verify, { body: done.body.receipt })).body.valid).toBe(true);
  });
});

await describeCorpusOverHttp("rotated");
