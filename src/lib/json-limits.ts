// Checks on JSON as received, before anything is stored, hashed or echoed.
//
// inputProblems runs over every validated request part (the parsed body, query, path params,
// headers) from the one validation hook of the HTTP router, so no route can forget it. It refuses:
// - strings and member names that are not well-formed Unicode: a lone surrogate from a \ud800
//   escape has no UTF-8 encoding, so it cannot be stored, echoed or hashed (RFC 8785) faithfully;
// - members named __proto__: JSON.parse keeps one as plain data, but any copy made by assignment
//   (zod's, or code that builds an object member by member) turns it into the copy's prototype,
//   so it silently vanishes from what is stored and hashed while the caller believes it was sent.
//
// jsonProblem bounds free-form JSON (payload, result, metadata, capabilities, receipts to verify),
// which is hashed with RFC 8785 and walked by code downstream, without recursion: at most
// MAX_JSON_DEPTH levels of nesting, only finite numbers (JSON.parse turns 1e400 into Infinity,
// which JSON cannot carry back) and well-formed Unicode.

/** What is wrong with one part of an input, named by its dotted path. */
export interface FieldProblem {
  field: string;
  issue: string;
}

export const MAX_JSON_DEPTH = 32;
/** A body full of bad strings gets this many details, not one per string. */
export const MAX_INPUT_PROBLEMS = 10;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const PROTOTYPE_KEY = "__proto__";

/** The first reason this value cannot be taken as JSON, or undefined. `value` itself is level 1. */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === "number" && !Number.isFinite(item)) return "holds a number too large for JSON";
    if (typeof item === "string" && LONE_SURROGATE.test(item)) return "holds a string that is not well-formed Unicode";
    if (typeof item !== "object" || item === null) continue;
    if (depth + 1 > maxDepth) return `nests deeper than ${maxDepth} levels`;
    for (const [key, member] of Object.entries(item)) {
      if (LONE_SURROGATE.test(key)) return "holds a member name that is not well-formed Unicode";
      pending.push([member, depth + 1]);
    }
  }
  return undefined;
}

interface Visit {
  value: unknown;
  key: string | undefined;
  parent: Visit | undefined;
}

const pathOf = (visit: Visit): string => {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse().join(".") || "(body)";
};

/**
 * Every string, member name and __proto__ member that makes `value` unfit to store, named by
 * dotted path, in document order (a member name before what it holds).
 */
export function inputProblems(value: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: Visit[] = [{ value, key: undefined, parent: undefined }];
  for (let visit = pending.pop(); visit !== undefined && problems.length < MAX_INPUT_PROBLEMS; visit = pending.pop()) {
    const item = visit.value;
    if (typeof item === "string" && LONE_SURROGATE.test(item)) {
      problems.push({ field: pathOf(visit), issue: "is not well-formed Unicode (a lone surrogate)" });
    }
    if (typeof item !== "object" || item === null) continue;
    const members = Object.entries(item);
    for (const [key] of members) {
      // The bad name itself is not echoed: it would carry the lone surrogate back.
      if (LONE_SURROGATE.test(key)) problems.push({ field: pathOf(visit), issue: "has a member name that is not well-formed Unicode" });
      else if (key === PROTOTYPE_KEY)
        problems.push({ field: pathOf({ value: undefined, key, parent: visit }), issue: "a member named __proto__ is not accepted" });
    }
    for (let i = members.length - 1; i >= 0; i--) {
      const [key, member] = members[i]!;
      if (key !== PROTOTYPE_KEY) pending.push({ value: member, key, parent: visit });
    }
  }
  return problems.slice(0, MAX_INPUT_PROBLEMS);
}
