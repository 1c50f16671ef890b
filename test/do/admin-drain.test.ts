// An admin's drain and undrain as the region DO answers them, with a pinned clock: what a quiet
// miner gets, and that neither call is a sign of life of the miner.
import { describe, expect, it } from "vitest";
import { alarmAt, regionWithMiner, setClock, T0 } from "../helpers/region";

const TIMEOUT_MS = 30_000;

describe("an admin's drain", () => {
  it("refuses an OFFLINE miner with 409 on its status, and is not a sign of life", async () => {
    const { stub, api } = await regionWithMiner({ at: T0 });
    await alarmAt(stub, T0 + TIMEOUT_MS);
    expect(await api.drainByAdmin("m1")).toMatchObject({
      ok: false,
      code: "CONFLICT_STATE",
      conflict: { on: "status", status: "OFFLINE" },
    });
    // Still OFFLINE: undrain answers it as it is.
    expect(await api.undrainByAdmin("m1")).toMatchObject({ ok: true, value: { miner: { status: "OFFLINE" }, heldJobs: [] } });
  });

  it("ends as OFFLINE for a miner that went quiet while drained", async () => {
    const { stub, api } = await regionWithMiner({ at: T0 });
    await setClock(stub, T0 + 10_000);
    expect(await api.drainByAdmin("m1")).toMatchObject({ ok: true, value: { miner: { status: "DRAINING", lastSeenAt: T0 } } });
    await setClock(stub, T0 + TIMEOUT_MS);
    expect(await api.undrainByAdmin("m1")).toMatchObject({ ok: true, value: { miner: { status: "OFFLINE" } } });
  });

  it("answers MINER_NOT_FOUND for a miner the shard does not hold", async () => {
    const { api } = await regionWithMiner({ at: T0 });
    expect(await api.drainByAdmin("nobody")).toMatchObject({ ok: false, code: "MINER_NOT_FOUND" });
    expect(await api.undrainByAdmin("nobody")).toMatchObject({ ok: false, code: "MINER_NOT_FOUND" });
  });
});
