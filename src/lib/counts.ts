/** A count for every one of `keys` from rows grouped by key: 0 for a key that no row has. */
export function countsByKey<K extends string>(keys: readonly K[], rows: readonly { key: string; n: number }[]): Record<K, number> {
  const counts = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (const { key, n } of rows) if (key in counts) counts[key as K] = Number(n);
  return counts;
}
