import { drizzle } from "drizzle-orm/d1";
import { memoized } from "../lib/memo";
import * as schema from "./schema";

const build = (d1: D1Database) => drizzle(d1, { schema });

export type Db = ReturnType<typeof build>;

// Building drizzle's client (its relational config from the schema) cost about 1 % of a submit; the
// binding is the same object across an isolate's requests, so each binding gets one client.
const clients = new WeakMap<D1Database, Db>();

export function createDb(d1: D1Database): Db {
  return memoized(clients, d1, () => build(d1));
}
