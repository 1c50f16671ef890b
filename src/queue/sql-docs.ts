// Rows of the region DO's SQLite whose `doc` column holds a domain object as JSON, parsed.
export function docsOf<T>(sql: SqlStorage, query: string, ...args: SqlStorageValue[]): T[] {
  return sql
    .exec<{ doc: string }>(query, ...args)
    .toArray()
    .map((r) => JSON.parse(r.doc) as T);
}
