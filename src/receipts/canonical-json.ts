// Canonical JSON for receipts and content hashes: members whose value is null or undefined are
// dropped from objects at every depth, then the value is serialised by RFC 8785 (JCS). Signers
// and verifiers must produce identical bytes for the same data, so "absent" and "null" are one
// thing; null array elements stay null because removing them would shift positions.
// The `canonicalize` package passes the RFC 8785 vectors in our tests and rejects lone surrogates
// (not I-JSON; they would make two strings share one UTF-8 encoding).
import canonicalize from "canonicalize";
import { sha256Hex } from "../lib/hash";

export { sha256Hex };

type JsonContainer = unknown[] | Record<string, unknown>;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(withoutNullMembers(value));
  if (text === undefined) throw new TypeError("canonicalJson: value has no JSON representation");
  return text;
}

export async function contentHash(value: unknown): Promise<string> {
  return `sha256:${await sha256Hex(canonicalJson(value))}`;
}

// Copies with an explicit work list rather than recursion, so a deeply nested (but size-limited)
// payload cannot overflow the stack. A cycle in the input becomes a cycle in the copy, which
// canonicalize rejects.
function withoutNullMembers(value: unknown): unknown {
  const copies = new Map<object, JsonContainer>();
  const pending: [JsonContainer, JsonContainer][] = [];
  const copyOf = (item: unknown): unknown => {
    if (typeof item !== "object" || item === null) return checkedPrimitive(item);
    let copy = copies.get(item);
    if (copy === undefined) {
      const source = checkedContainer(item);
      // A prototype-less object keeps a "__proto__" member as plain data.
      copy = Array.isArray(source) ? new Array<unknown>(source.length) : (Object.create(null) as Record<string, unknown>);
      copies.set(item, copy);
      pending.push([source, copy]);
    }
    return copy;
  };
  const root = copyOf(value);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [source, copy] = next;
    if (Array.isArray(source)) {
      // As in JSON.stringify, an undefined array element serialises as null.
      for (let i = 0; i < source.length; i++) (copy as unknown[])[i] = copyOf(source[i] ?? null);
    } else {
      for (const [key, member] of Object.entries(source)) {
        if (member !== null && member !== undefined) (copy as Record<string, unknown>)[key] = copyOf(member);
      }
    }
  }
  return root;
}

function checkedPrimitive(value: unknown): unknown {
  const kind = typeof value;
  if (kind === "function" || kind === "symbol" || kind === "bigint") {
    throw new TypeError(`canonicalJson: a ${kind} is not JSON`);
  }
  return value;
}

// Only arrays and plain records are JSON; a Date, Map or boxed value would otherwise serialise
// through toJSON or as {} and hash something other than what the caller sees.
function checkedContainer(value: object): JsonContainer {
  if (Array.isArray(value)) return value;
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (Object.prototype.toString.call(value) !== "[object Object]" || typeof toJson === "function") {
    throw new TypeError("canonicalJson: only plain objects, arrays and JSON primitives are accepted");
  }
  return value as Record<string, unknown>;
}
