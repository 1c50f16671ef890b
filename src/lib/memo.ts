/** A Map or WeakMap, as `memoized` uses it. */
interface MemoStore<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** The value kept in `store` for `key`, made by `make` the first time (once per isolate for module-level stores). */
export function memoized<K, V>(store: MemoStore<K, V>, key: K, make: () => V): V {
  let value = store.get(key);
  if (value === undefined) {
    value = make();
    store.set(key, value);
  }
  return value;
}
