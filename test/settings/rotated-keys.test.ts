import { describe, expect, it } from "vitest";
import { buildUnsignedReceipt } from "../../src/receipts/build";
import { signReceipt } from "../../src/receipts/sign-receipt";
import { importSigningSeed } from "../../src/receipts/keys";
import { call, minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { describeCorpusOverHttp } from "../helpers/receipt-corpus";
import { TEST_SEEDS } from "../helpers/test-bindings";

const OLD_KEY_ID = "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q";

describe("after a signing key rotation", () => {
  it("lists the old key as retired and the new one as active", async () => {
    const keys = (await call("GET", "/v1/receipts/keys")).body.keys;
    expect(keys).toEqual([
      expect.objectContaining({ use: "signing", status: "active" }),
      expect.objectContaining({ key_id: OLD_KEY_ID, use: "signing", status: "retired" }),
    ]);
  });

  it("keeps verifying receipts signed with the retired key", async () => {
    const old = await importSigningSeed(TEST_SEEDS.signing);
    const receipt = await signReceipt(
      buildUnsignedReceipt({
        receiptId: "a".repeat(32), jobId: "b".repeat(32), provider: "m", client: "cli_x", startedAtMs: 1_000, completedAtMs: 2_000,
        coordinatorId: "c", nonce: "n", payloadHash: `sha256:${"0".repeat(64)}`, resultHash: `sha256:${"1".repeat(64)}`,
      }),
      old,
    );
    expect((await call("POST", "/v1/receipts/verify", { body: receipt })).body).toEqual({ valid: true, reasons: [] });
  });

  it("signs new receipts with the new key", async () => {
    const minerId = uniqueName("m");
    await registerMiner(minerId);
    const job = await submit({ payload: {} });
    const lease = await pollAs(minerId);
    const done = await minerCall(minerId, `/v1/miners/${job.body.job_id}/result`, { result: {}, lease_id: lease.body.lease_id });
    expect(done.body.receipt.signature.key_id).not.toBe(OLD_KEY_ID);
    expect(done.body.receipt.attestations).toBeUndefined();
    expect((await call("POST", "/v1/receipts/verify", { body: done.body.receipt })).body.valid).toBe(true);
  });
});

await describeCorpusOverHttp("rotated");
