// The parts of the OpenAPI document that belong to no route: its info and tags, and one repair of
// what the generator writes.
import { APP_VERSION } from "../version";

export const OPENAPI_INFO = {
  title: "edge-coordinator",
  version: APP_VERSION,
  description: `Job coordinator for a decentralised GPU compute network, compatible with AITBC Coordinator API v1: clients submit jobs, miners poll for them and report results, and every completed job gets a signed receipt.

Every error answer has one shape, {"error": {"code", "message", "details?"}, "request_id"}; each operation lists the statuses and codes it can answer with. Every response carries X-Request-Id (the caller's own, if it sends a valid one). Optional request members also take null for "not set". Request bodies are strict: an unknown member is a 422 naming it.`,
};

export const OPENAPI_TAGS = [
  { name: "Jobs", description: "Submit jobs and follow them (client keys)." },
  { name: "Miners", description: "Register, poll for work, report results (miner keys)." },
  { name: "Admin", description: "Totals, every job and miner, receipts re-issue, API keys (admin keys)." },
  { name: "Receipts", description: "The keys that sign receipts, and a verifier (no key needed)." },
  { name: "Service", description: "Health (no key) and Prometheus metrics (admin key)." },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: Json | undefined): value is { [key: string]: Json } =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Members that may sit beside a $ref without changing what it refers to. */
const ANNOTATIONS = new Set(["type", "description", "example", "default", "deprecated"]);

/**
 * The generator writes a reused component with a description, or made nullable, as
 * `allOf: [{$ref}, {type: [..., "null"], description}]`; that allOf admits no null at all, and
 * openapi-typescript turns it into an intersection no value fits. This writes such a schema as
 * `{$ref, description}`, or `{anyOf: [{$ref}, {type: "null"}], description}` when it is nullable.
 */
export function repairReusedComponents<T>(document: T): T {
  return repair(document as Json) as T;
}

function repair(value: Json): Json {
  if (Array.isArray(value)) return value.map(repair);
  if (!isObject(value)) return value;
  const repaired = Object.fromEntries(Object.entries(value).map(([key, member]) => [key, repair(member)]));
  const parts = repaired.allOf;
  if (!Array.isArray(parts) || parts.length !== 2 || Object.keys(repaired).length !== 1) return repaired;
  const [ref, extra] = parts;
  if (!isObject(ref) || Object.keys(ref).length !== 1 || typeof ref.$ref !== "string") return repaired;
  if (!isObject(extra) || !Object.keys(extra).every((key) => ANNOTATIONS.has(key))) return repaired;
  const { type, ...annotations } = extra;
  if (type === undefined) return { ...ref, ...annotations };
  if (!Array.isArray(type) || !type.includes("null")) return repaired;
  return { anyOf: [ref, { type: "null" }], ...annotations };
}
