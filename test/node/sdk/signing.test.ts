import { describe, expect, it } from "vitest";
import { hmacSigner } from "../../../sdk/signing";

const EXAMPLE_SIGNATURE = "19d7ba24ee8aa799db358fa3d3a493f3c9ee8e41d88b927c4c7186f84947bd9c";

const poll = () => ({
  method: "POST",
  url: "http://coordinator.test/v1/miners/poll",
  headers: new Headers({ "x-miner-id": "rig-7" }),
  body: new TextEncoder().encode('{"max_wait_seconds":0}').buffer as ArrayBuffer,
  signal: new AbortController().signal,
});

describe("hmacSigner", () => {
  it("signs the worked example of docs/security.md", async () => {
    const sign = hmacSigner("example-hmac-secret", () => 1_767_225_600_000);
    expect(await sign(poll())).toBe(`t=1767225600,v2=${EXAMPLE_SIGNATURE}`);
  });

  it("signs an identical request in the same second with the next second, never twice alike", async () => {
    // A clock 10 ms before a second ends, running at the real pace.
    const started = Date.now();
    const sign = hmacSigner("example-hmac-secret", () => 1_767_225_600_990 + (Date.now() - started));
    const first = await sign(poll());
    const second = await sign(poll());
    expect(first).toBe(`t=1767225600,v2=${EXAMPLE_SIGNATURE}`);
    expect(second).toMatch(/^t=1767225601,v2=[0-9a-f]{64}$/);
    // A different request in the same second needs no wait.
    expect(await sign({ ...poll(), headers: new Headers({ "x-miner-id": "rig-8" }) })).toMatch(/^t=1767225601,/);
  });
});
