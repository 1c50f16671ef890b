import { BoundedMap } from "./bounded-map";

/**
 * Per-isolate memory that cannot grow without bound: each entry expires at its own time, and past
 * `capacity` entries the least recently written one is dropped. Callers pass the clock.
 */
export class ExpiringMap<K, V> {
  private readonly entries: BoundedMap<K, { value: V; until: number }>;

  constructor(capacity: number) {
    this.entries = new BoundedMap(capacity);
  }

  get(key: K, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, until: number): void {
    this.entries.set(key, { value, until });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
