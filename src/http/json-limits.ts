// Free-form JSON (payload, result, metadata, capabilities, receipts to verify) is hashed with RFC 8785
// and walked by recursive code downstream, so it is checked once at the edge, without recursion:
// at most MAX_JSON_DEPTH levels of nesting, only finite numbers (JSON.parse turns 1e400 into
// Infinity, which JSON cannot carry back), and well-formed Unicode (a lone surrogate from a \ud800
// escape has no UTF-8 encoding, so RFC 8785 refuses it).
export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The first reason this value cannot be taken as JSON, or undefined. `value` itself is level 1. */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === "number" && !Number.isFinite(item)) return "holds a number too large for JSON";
    if (typeof item === "string" && LONE_SURROGATE.test(item)) return "holds a string that is not well-formed Unicode";
    if (typeof item !== "object" || item === null) continue;
    if (depth + 1 > maxDepth) return `nests deeper than ${maxDepth} levels`;
    if (Array.isArray(item)) {
      for (const member of item) pending.push([member, depth + 1]);
      continue;
    }
    for (const [key, member] of Object.entries(item)) {
      if (LONE_SURROGATE.test(key)) return "holds a key that is not well-formed Unicode";
      pending.push([member, depth + 1]);
    }
  }
  return undefined;
}
