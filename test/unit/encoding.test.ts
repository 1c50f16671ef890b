import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64urlToBytes, bytesToBase64url, bytesToHex, hexToBytes, utf8Length } from "../../src/lib/encoding";

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("hex", () => {
  it("round-trips every byte value, writing lower case and reading either case", () => {
    const hex = bytesToHex(ALL_BYTES);
    expect(hex.slice(0, 8)).toBe("00010203");
    expect(hex.slice(-4)).toBe("feff");
    expect(hexToBytes(hex)).toEqual(ALL_BYTES);
    expect(hexToBytes("ABcd")).toEqual(new Uint8Array([0xab, 0xcd]));
  });

  it.each(["abc", "zz", "0x00", " 00", "00 "])("refuses %j", (bad) => {
    expect(() => hexToBytes(bad)).toThrow(SyntaxError);
  });
});

describe("base64url", () => {
  it("encodes without padding in the URL-safe alphabet", () => {
    expect(bytesToBase64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(bytesToBase64url(new Uint8Array([]))).toBe("");
    expect(bytesToBase64url(new TextEncoder().encode("f"))).toBe("Zg");
  });

  it("round-trips every length from 0 to 70 bytes", () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = ALL_BYTES.slice(200 - n, 200);
      expect(base64urlToBytes(bytesToBase64url(bytes))).toEqual(bytes);
    }
  });

  it.each([
    ["padding", "Zg=="],
    ["the standard alphabet", "+/8"],
    ["whitespace", "Zg "],
    ["an impossible length", "Zm9vY"],
    ["non-zero unused bits", "Zh"],
  ])("refuses %s", (_name, bad) => {
    expect(() => base64urlToBytes(bad)).toThrow(SyntaxError);
  });
});

describe("utf8Length", () => {
  it("counts what TextEncoder writes, lone surrogates (as U+FFFD) included", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "a", "é", "€", "😀", "a\u{10FFFF}b", "\ud800", "x\udc00", "\ud800\ud800\udc00"]) {
      expect(utf8Length(text)).toBe(encoder.encode(text).length);
    }
    // Any UTF-16 units: pairs, lone surrogates of either half, and everything else.
    const utf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((units) => String.fromCharCode(...units));
    fc.assert(fc.property(utf16, (text) => utf8Length(text) === encoder.encode(text).length));
  });
});
