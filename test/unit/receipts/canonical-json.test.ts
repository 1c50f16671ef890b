import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHash, sha256Hex } from "../../../src/receipts/canonical-json";

function ieee754(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalJson: RFC 8785 property order", () => {
  it("sorts keys by UTF-16 code units, so an astral character sorts before U+FB33", () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"</script>":"Browser Challenge"}',
    );
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","</script>":"Browser Challenge","\u0080":"Control",' +
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face",' +
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("sorts nested objects and keeps array order", () => {
    expect(canonicalJson({ b: [3, { z: 1, y: [{ d: 1, c: 2 }] }, []], a: {} })).toBe('{"a":{},"b":[3,{"y":[{"c":2,"d":1}],"z":1},[]]}');
  });

  it("reproduces the RFC 8785 section 3.2.3 example", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' + '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });
});

describe("canonicalJson: numbers", () => {
  // RFC 8785 appendix B.
  const APPENDIX_B: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];

  it.each(APPENDIX_B)("serialises IEEE 754 %s as %s", (bits, expected) => {
    expect(canonicalJson(ieee754(bits))).toBe(expected);
  });

  it("writes integral values without a fraction and uses exponents only from 1e21 and below 1e-6", () => {
    // biome-ignore lint/correctness/noPrecisionLoss: the last literal shows how JSON writes a rounded double
    expect(canonicalJson([1.0, -0, 1e20, 1e21, 0.000001, 1e-7, 4.2, 12345, 9007199254740993])).toBe(
      "[1,0,100000000000000000000,1e+21,0.000001,1e-7,4.2,12345,9007199254740992]",
    );
  });

  it.each([NaN, Infinity, -Infinity])("refuses %s", (value) => {
    expect(() => canonicalJson({ value })).toThrow();
  });
});

describe("canonicalJson: strings", () => {
  it("escapes only quote, backslash and control characters, with short forms where JSON has them", () => {
    expect(canonicalJson('q" b\\ n\n t\t r\r b\b f\f u\u0001 us\u001f del\u007f /')).toBe(
      '"q\\" b\\\\ n\\n t\\t r\\r b\\b f\\f u\\u0001 us\\u001f del\u007f /"',
    );
  });

  it("leaves non-ASCII characters as UTF-8", async () => {
    const text = canonicalJson({ é: "€ 😀 \u2028" });
    expect(text).toBe('{"é":"€ 😀 \u2028"}');
    expect(Array.from(new TextEncoder().encode(text).slice(2, 4))).toEqual([0xc3, 0xa9]);
  });

  it.each([["\ud800"], ["a\udc00b"], ["\ude00\ud83d"]])("refuses a lone surrogate in a value (%j)", (bad) => {
    expect(() => canonicalJson({ text: bad })).toThrow(/surrogate/i);
  });

  it("refuses a lone surrogate in a key", () => {
    expect(() => canonicalJson({ "\ud800": 1 })).toThrow(/surrogate/i);
  });
});

describe("canonicalJson: null members", () => {
  it("drops null and undefined members at every depth but keeps null array elements", () => {
    const value = { a: null, b: { c: null, d: [null, { e: null, f: 1 }, [null]] }, g: undefined, h: { i: { j: null } } };
    expect(canonicalJson(value)).toBe('{"b":{"d":[null,{"f":1},[null]]},"h":{"i":{}}}');
  });

  it("serialises undefined array elements and holes as null, as JSON.stringify does", () => {
    // biome-ignore lint/suspicious/noSparseArray: a hole is the case under test
    expect(canonicalJson([undefined, , 1])).toBe("[null,null,1]");
  });

  it("keeps a null root and a null element of a root array", () => {
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson([null])).toBe("[null]");
  });

  it("does not modify its input", () => {
    const value = { a: null, b: [{ c: null }] };
    canonicalJson(value);
    expect(value).toEqual({ a: null, b: [{ c: null }] });
  });
});

describe("canonicalJson: inputs that are not JSON", () => {
  it("keeps a __proto__ member as data", () => {
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":null,"y":1},"a":1}'))).toBe('{"__proto__":{"y":1},"a":1}');
  });

  it("serialises a shared sub-object wherever it appears but refuses a cycle", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(/circular/i);
  });

  it.each([
    ["a Date", { at: new Date(0) }],
    ["a Map", new Map()],
    ["a function", { f: () => 1 }],
    ["a bigint", [1n]],
    ["a symbol", { s: Symbol("s") }],
    ["an object with toJSON", { v: { toJSON: () => "x" } }],
    ["undefined", undefined],
  ])("refuses %s", (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it("accepts deep nesting without overflowing the stack", () => {
    const depth = 50_000;
    const text = "[".repeat(depth) + "]".repeat(depth);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it("is idempotent over arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });
});

describe("contentHash", () => {
  it("is sha256:<hex> of the canonical UTF-8 bytes", async () => {
    expect(await sha256Hex("{}")).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(await contentHash({})).toBe("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(await contentHash({ b: "€", a: 1 })).toBe(`sha256:${await sha256Hex('{"a":1,"b":"€"}')}`);
  });

  it("does not depend on key order or on null members", async () => {
    expect(await contentHash({ a: 1, b: { c: 2, d: null } })).toBe(await contentHash({ b: { c: 2 }, a: 1 }));
    expect(await contentHash({ a: 1 })).not.toBe(await contentHash({ a: 2 }));
  });
});
