// Property-based fuzzing of POST /v1/receipts/verify: the genuine receipt and the genuine
// {result, receipt} pair of the shared corpus, mutated at random (members set, removed, added,
// re-spelt, reordered, wrapped, nested under a forged top level, the JSON text itself damaged),
// and arbitrary JSON. Properties: never a 5xx; a 4xx is exactly the one error shape; a 200 is
// exactly {valid, reasons}; valid: true only for a document equal in meaning (its canonical JSON)
// to the genuine receipt or the genuine pair; valid: false always with documented reason codes,
// a MALFORMED reason alone.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorBody } from "../../src/http/schemas";
import { canonicalJson } from "../../src/receipts/canonical-json";
import { genuineDocuments } from "../fixtures/receipt-corpus/corpus";
import { call } from "../helpers/api";

// On a failure fast-check prints { seed, path }: pass both in the fc.assert options below to replay it.
const NUM_RUNS = 1000;
const REASON =
  /^(?:MALFORMED: .+|ALG_UNSUPPORTED: (?:signature|attestations\.\d+)|SIGNATURE_INVALID|KEY_NOT_TRUSTED: .*|ATTESTATION_INVALID: \d+|ATTESTATION_KEY_NOT_TRUSTED: \d+|ATTESTATION_MISSING|RESULT_MISMATCH)$/;

type Json = Record<string, unknown> | unknown[];

let genuine: { receipt: Record<string, unknown>; pair: Record<string, unknown> };
let genuineForms: Set<string>;

beforeAll(async () => {
  genuine = await genuineDocuments();
  genuineForms = new Set([canonicalJson(genuine.receipt), canonicalJson(genuine.pair)]);
});

// ---- generators --------------------------------------------------------------------------------

const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: "binary" });
const memberName = fc.oneof(
  fc.constantFrom(
    "signature",
    "attestations",
    "receipt",
    "result",
    "result_hash",
    "price",
    "provider",
    "version",
    "__proto__",
    "alg",
    "key_id",
    "sig",
  ),
  fc.string({ unit: "binary", maxLength: 8 }),
);

/** A change to the document; `at` picks a member among all members at any depth, modulo their count. */
type Mutation =
  | { kind: "set"; at: number; value: unknown }
  | { kind: "delete"; at: number }
  | { kind: "add"; at: number; name: string; value: unknown }
  | { kind: "respell"; at: number; char: string }
  | { kind: "reorder"; at: number }
  | { kind: "wrap"; how: "receipt" | "pair" | "array" | "forged"; result: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    at: fc.nat(),
    value: fc.oneof(anyJson, fc.constantFrom(null, "", 0, 1e308, -0, "Ed25519")),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), name: memberName, value: fc.oneof(fc.constant(null), anyJson) }),
  fc.record({ kind: fc.constant("respell" as const), at: fc.nat(), char: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant("reorder" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("wrap" as const), how: fc.constantFrom("receipt", "pair", "array", "forged"), result: anyJson }),
);

/** Damage to the JSON text: one character replaced, or a number written out of range. */
const textDamage = fc.option(
  fc.oneof(
    fc.record({ at: fc.nat(), with: fc.constantFrom("", "}", "]", ",", '"', "\\", "0", "1e400", "null", "\\ud800") }),
    fc.constant({ at: -1, with: "1e400" }),
  ),
  { nil: undefined, freq: 4 },
);

type DocumentSpec = typeof documentSpec extends fc.Arbitrary<infer T> ? T : never;
const documentSpec = fc.record({
  start: fc.constantFrom("receipt" as const, "pair" as const),
  mutations: fc.array(mutation, { maxLength: 3 }),
  damage: textDamage,
  arbitrary: fc.option(anyJson, { nil: undefined, freq: 8 }),
});

// ---- building a body ---------------------------------------------------------------------------

/** Every (container, member) pair in the document, at any depth. */
function members(root: unknown): [Json, string | number][] {
  const found: [Json, string | number][] = [];
  const pending: unknown[] = [root];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next !== "object" || next === null) continue;
    const container = next as Json;
    const entries: [string | number, unknown][] = Array.isArray(container) ? container.map((v, i) => [i, v]) : Object.entries(container);
    for (const [key, value] of entries) {
      found.push([container, key]);
      pending.push(value);
    }
  }
  return found;
}

function apply(document: unknown, change: Mutation): unknown {
  if (change.kind === "wrap") {
    if (change.how === "receipt") return { receipt: document };
    if (change.how === "pair") return { result: change.result, receipt: document };
    if (change.how === "array") return [document];
    return { ...genuine.receipt, provider: "someone-else", price: 999999, receipt: document };
  }
  const all = members(document);
  if (all.length === 0) return document;
  const [container, key] = all[change.at % all.length]!;
  const record = container as Record<string | number, unknown>;
  if (change.kind === "set") record[key] = change.value;
  else if (change.kind === "delete") {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete record[key];
  } else if (change.kind === "respell") {
    const value = record[key];
    if (typeof value === "string") record[key] = value.length === 0 ? change.char : `${change.char}${value.slice(1)}`;
  } else {
    const target = record[key];
    if (typeof target !== "object" || target === null || Array.isArray(target)) return document;
    const object = target as Record<string, unknown>;
    // defineProperty keeps a member named __proto__ as data, as JSON.parse does.
    if (change.kind === "add")
      Object.defineProperty(object, change.name, { value: change.value, enumerable: true, writable: true, configurable: true });
    else record[key] = Object.fromEntries(Object.entries(object).reverse());
  }
  return document;
}

function body(spec: DocumentSpec): string {
  if (spec.arbitrary !== undefined) return JSON.stringify(spec.arbitrary);
  let document: unknown = structuredClone(spec.start === "receipt" ? genuine.receipt : genuine.pair);
  for (const change of spec.mutations) document = apply(document, change);
  const text = JSON.stringify(document);
  const damage = spec.damage;
  if (damage === undefined) return text;
  if (damage.at < 0) return text.replace(/(?<=:)-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/, damage.with);
  const at = damage.at % text.length;
  return `${text.slice(0, at)}${damage.with}${text.slice(at + 1)}`;
}

// ---- the property ------------------------------------------------------------------------------

function equalInMeaningToGenuine(text: string): boolean {
  try {
    return genuineForms.has(canonicalJson(JSON.parse(text)));
  } catch {
    return false;
  }
}

describe("fuzzing POST /v1/receipts/verify", () => {
  it(`answers ${NUM_RUNS} random and mutated documents without a 5xx, and calls none valid that is not genuine`, async () => {
    const outcomes = { valid: 0, invalid: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(documentSpec, async (spec) => {
        const text = body(spec);
        const res = await call("POST", "/v1/receipts/verify", { rawBody: text, headers: { "content-type": "application/json" } });
        const label = `${text.slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        if (res.status >= 400) {
          outcomes.refused += 1;
          expect(ErrorBody.parse(res.body), label).toEqual(res.body);
          expect(res.body.request_id, label).toBe(res.headers.get("x-request-id"));
          return;
        }
        expect(res.status, label).toBe(200);
        expect(Object.keys(res.body).sort(), label).toEqual(["reasons", "valid"]);
        if (res.body.valid) {
          outcomes.valid += 1;
          expect(res.body.reasons, label).toEqual([]);
          expect(equalInMeaningToGenuine(text), label).toBe(true);
        } else {
          outcomes.invalid += 1;
          const reasons: string[] = res.body.reasons;
          expect(reasons.length, label).toBeGreaterThan(0);
          for (const reason of reasons) expect(reason, label).toMatch(REASON);
          if (reasons.some((reason) => reason.startsWith("MALFORMED"))) expect(reasons, label).toHaveLength(1);
        }
      }),
      {
        numRuns: NUM_RUNS,
        // The genuine receipt and pair, unchanged, always among the runs: the valid branch never rests on chance.
        examples: (["receipt", "pair"] as const).map((start): [DocumentSpec] => [
          { start, mutations: [], damage: undefined, arbitrary: undefined },
        ]),
      },
    );
    console.info(`fuzz-verify: ${JSON.stringify(outcomes)}`);
    // Each branch of the property was exercised.
    expect(
      Object.values(outcomes).every((count) => count > 0),
      JSON.stringify(outcomes),
    ).toBe(true);
  }, 120_000);
});
