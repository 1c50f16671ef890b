import { describe, expect, it } from "vitest";
import { memoized } from "../../src/lib/memo";

describe("memoized", () => {
  it("makes a key's value once and keeps it, per key", () => {
    const store = new Map<string, { n: number }>();
    let made = 0;
    const make = () => ({ n: ++made });
    const a = memoized(store, "a", make);
    expect(memoized(store, "a", make)).toBe(a);
    expect(memoized(store, "b", make)).toEqual({ n: 2 });
    expect(made).toBe(2);
  });

  it("keeps values in a WeakMap by object identity", () => {
    const store = new WeakMap<object, string>();
    const key = {};
    expect(memoized(store, key, () => "first")).toBe("first");
    expect(memoized(store, key, () => "second")).toBe("first");
    expect(memoized(store, {}, () => "other")).toBe("other");
  });
});
