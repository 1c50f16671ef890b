import { describe, expect, it } from "vitest";
import { ExpiringMap } from "../../src/lib/expiring-map";

describe("ExpiringMap", () => {
  it("answers an entry until its time, then forgets it", () => {
    const map = new ExpiringMap<string, number>(10);
    map.set("a", 1, 100);
    expect(map.get("a", 99)).toBe(1);
    expect(map.get("a", 100)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it("drops the least recently written entry past its capacity", () => {
    const map = new ExpiringMap<string, number>(2);
    map.set("a", 1, 100);
    map.set("b", 2, 100);
    map.set("a", 3, 100);
    map.set("c", 4, 100);
    expect(map.size).toBe(2);
    expect(map.get("b", 0)).toBeUndefined();
    expect(map.get("a", 0)).toBe(3);
    expect(map.get("c", 0)).toBe(4);
  });

  it("deletes on request", () => {
    const map = new ExpiringMap<string, boolean>(2);
    map.set("a", true, 100);
    map.delete("a");
    expect(map.get("a", 0)).toBeUndefined();
  });
});
