import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, InvalidCursorError } from "../../src/lib/cursor";

function expectRefused(cursor: string, shape: ("string" | "number")[]) {
  expect(() => decodeCursor(cursor, shape), JSON.stringify(cursor)).toThrow(InvalidCursorError);
}

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("cursor round trip", () => {
  it("decodes what it encoded: a time and a job id", () => {
    const parts: [number, string] = [1_700_000_000_123, "0123456789abcdef0123456789abcdef"];
    expect(decodeCursor<[number, string]>(encodeCursor(parts), ["number", "string"])).toEqual(parts);
  });

  it("decodes a single string and a single number", () => {
    expect(decodeCursor(encodeCursor(["miner.eu-1_x"]), ["string"])).toEqual(["miner.eu-1_x"]);
    expect(decodeCursor(encodeCursor([42]), ["number"])).toEqual([42]);
  });

  it("keeps zero, negative and fractional numbers and empty strings", () => {
    const parts = [0, -7, 1.5, ""];
    expect(decodeCursor(encodeCursor(parts), ["number", "number", "number", "string"])).toEqual(parts);
  });

  it("is URL-safe: no +, / or = padding, whatever the content", () => {
    const samples: (string | number)[][] = [["~~~???>>>"], ["ÿÿÿ", 1], ["a"], ["ab"], ["abc"], [1_700_000_000_000, "ff".repeat(16)]];
    for (const parts of samples) {
      const cursor = encodeCursor(parts);
      expect(cursor, JSON.stringify(parts)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(
        decodeCursor(
          cursor,
          parts.map((p) => (typeof p === "number" ? "number" : "string")),
        ),
      ).toEqual(parts);
    }
  });

  it("is opaque: the cursor does not show the raw values", () => {
    expect(encodeCursor(["0123456789abcdef0123456789abcdef"])).not.toContain("0123456789abcdef");
  });
});

describe("cursor refusals", () => {
  it("refuses garbage with INVALID_PAYLOAD on field cursor", () => {
    for (const garbage of ["", "!!!", "not a cursor", "%%%%", "a", "=="]) expectRefused(garbage, ["number", "string"]);
  });

  it("refuses valid base64 that is not JSON", () => {
    expectRefused(b64url("hello world"), ["string"]);
  });

  it("refuses JSON that is not an array", () => {
    expectRefused(b64url('{"seq":1}'), ["number"]);
    expectRefused(b64url("1"), ["number"]);
    expectRefused(b64url('"x"'), ["string"]);
    expectRefused(b64url("null"), ["number"]);
  });

  it("refuses an array of the wrong length", () => {
    expectRefused(encodeCursor([1, "a", 2]), ["number", "string"]);
    expectRefused(encodeCursor([1]), ["number", "string"]);
    expectRefused(b64url("[]"), ["number"]);
  });

  it("refuses members of the wrong type", () => {
    expectRefused(encodeCursor(["1700000000000", "abc"]), ["number", "string"]);
    expectRefused(encodeCursor([1, 2]), ["number", "string"]);
    expectRefused(b64url("[null]"), ["number"]);
    expectRefused(b64url("[[1]]"), ["number"]);
    expectRefused(b64url("[true]"), ["number"]);
  });

  it("refuses a cursor issued by another endpoint (another shape)", () => {
    expectRefused(encodeCursor(["miner-1"]), ["number"]);
    expectRefused(encodeCursor([5]), ["number", "string"]);
  });

  it("refuses a cursor with a character flipped", () => {
    const cursor = encodeCursor([1_700_000_000_000, "0123456789abcdef0123456789abcdef"]);
    const tampered = `${cursor.slice(0, 3)}${cursor[3] === "A" ? "B" : "A"}${cursor.slice(4)}`;
    expect(tampered).not.toBe(cursor);
    expectRefused(tampered, ["number", "string"]);
  });

  it("refuses a truncated cursor", () => {
    const cursor = encodeCursor([1_700_000_000_000, "0123456789abcdef0123456789abcdef"]);
    expectRefused(cursor.slice(0, -4), ["number", "string"]);
  });

  it("says what went wrong without quoting the cursor", () => {
    const cursor = encodeCursor(["x", "y"]);
    expect(() => decodeCursor(cursor, ["number"])).toThrow("not a cursor this endpoint issued");
  });
});
