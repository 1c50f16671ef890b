import { describe, expect, it } from "vitest";
import { logger } from "../../src/lib/log";
import { captureConsole } from "../helpers/warnings";

describe("logger", () => {
  it("writes one JSON object per line at its level and above, leaving out undefined fields", () => {
    const logs = captureConsole("log");
    const warnings = captureConsole("warn");
    logger("info").info("request", { status: 200, job_id: undefined, miner_id: null });
    logger("info").debug("outbox flushed", { writes: 2 });
    logger("warn").info("request", { status: 200 });
    logger("warn").warn("outbox flush failed; will retry", { pending: 3 });
    logger("silent").warn("never", {});
    expect(logs.map((l) => JSON.parse(l))).toEqual([{ level: "info", msg: "request", status: 200, miner_id: null }]);
    expect(warnings.map((l) => JSON.parse(l))).toEqual([{ level: "warn", msg: "outbox flush failed; will retry", pending: 3 }]);
  });
});
