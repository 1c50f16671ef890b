import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacHex, signingString } from "../../src/auth/hmac";
import { call } from "../helpers/api";
import { TEST_KEYS } from "../helpers/test-bindings";

describe("with HMAC_REQUIRED=true", () => {
  it("refuses an unsigned request from a bootstrap key", async () => {
    const res = await call("GET", "/v1/jobs", { key: "client" });
    expect(res.status).toBe(401);
    expect(res.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_REQUIRED" }]);
  });

  it("accepts a bootstrap key's request signed with the key itself", async () => {
    const at = Math.floor(Date.now() / 1000);
    const sig = await hmacHex(TEST_KEYS.client, await signingString(at, "GET", "/v1/jobs?limit=1", new Uint8Array()));
    const res = await exports.default.fetch(
      new Request("http://coordinator.test/v1/jobs?limit=1", { headers: { "X-Api-Key": TEST_KEYS.client, "X-Signature": `t=${at},v1=${sig}` } }),
    );
    expect(res.status).toBe(200);
  });

  it("leaves public endpoints open", async () => {
    expect((await call("GET", "/v1/health")).status).toBe(200);
  });
});
