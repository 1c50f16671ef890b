import { describe, expect, it } from "vitest";
import { call } from "../helpers/api";
import { signV1, signV2 } from "../helpers/signing";
import { TEST_KEYS } from "../helpers/test-bindings";

describe("with HMAC_REQUIRED=true", () => {
  it("refuses an unsigned request from a bootstrap key", async () => {
    const res = await call("GET", "/v1/jobs", { key: "client" });
    expect(res.status).toBe(401);
    expect(res.body.error.details).toEqual([{ field: "x-signature", issue: "SIGNATURE_REQUIRED" }]);
  });

  it("accepts a bootstrap key's request signed with the key itself", async () => {
    for (const [sign, path] of [
      [signV1, "/v1/jobs?limit=1"],
      [signV2, "/v1/jobs?limit=2"],
    ] as const) {
      const signature = await sign(TEST_KEYS.client, { method: "GET", path });
      const res = await call("GET", path, { key: "client", headers: { "X-Signature": signature } });
      expect(res.status, signature).toBe(200);
    }
  });

  it("leaves public endpoints open", async () => {
    expect((await call("GET", "/v1/health")).status).toBe(200);
  });
});
