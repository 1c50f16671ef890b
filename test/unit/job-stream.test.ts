import { describe, expect, it } from "vitest";
import { closeReplyCode } from "../../src/queue/job-stream";

describe("closeReplyCode", () => {
  it("echoes codes a close frame may carry", () => {
    for (const code of [1000, 3000, 4000, 4999]) expect(closeReplyCode(code)).toBe(code);
  });

  it("answers 1000 for codes that only describe a close or that close() refuses", () => {
    for (const code of [1001, 1005, 1006, 1011, 1015, 2999, 5000, 0]) expect(closeReplyCode(code)).toBe(1000);
  });
});
