import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/lib/bounded-map";

describe("BoundedMap", () => {
  it("drops the least recently written entry past its capacity", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    map.set("a", 3);
    map.set("c", 4);
    expect(map.size).toBe(2);
    expect(map.get("b")).toBeUndefined();
    expect(map.get("a")).toBe(3);
    expect(map.get("c")).toBe(4);
  });

  it("deletes one entry or all on request", () => {
    const map = new BoundedMap<string, boolean>(3);
    map.set("a", true);
    map.set("b", true);
    map.delete("a");
    expect(map.get("a")).toBeUndefined();
    expect(map.get("b")).toBe(true);
    map.clear();
    expect(map.size).toBe(0);
  });
});
