/**
 * Per-isolate memory that cannot grow without bound: each entry expires at its own time, and past
 * `capacity` entries the least recently written one is dropped. Callers pass the clock.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(private readonly capacity: number) {}

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
    // Re-inserting moves the key to the end of the Map's order, so the first key is the stalest.
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
