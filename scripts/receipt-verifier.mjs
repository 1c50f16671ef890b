// Offline receipt verification for Node (>= 22), written apart from src/ on purpose: it follows
// docs/receipts.md, so it checks the coordinator's receipts the way a third party would. It gives
// the same verdict and reason codes as POST /v1/receipts/verify on every document.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import canonicalize from "canonicalize";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Members with a known type, in the order docs/receipts.md checks them.
const MEMBER_TYPES = [
  ["receipt_id", "string"],
  ["job_id", "string"],
  ["provider", "string"],
  ["client", "string"],
  ["units", "number"],
  ["unit_type", "string"],
  ["price", "number"],
  ["started_at", "number"],
  ["completed_at", "number"],
  ["duration_ms", "number"],
  ["coordinator_id", "string"],
  ["nonce", "string"],
  ["payload_hash", "string"],
  ["result_hash", "string"],
  ["chain_id", "number"],
];
const MAX_DEPTH = 32;
const NOT_A_SIGNATURE = "expected exactly {alg, key_id, sig}, all strings";
const OUTSIDE_JSON_LIMITS = `outside the JSON limits (at most ${MAX_DEPTH} levels, finite numbers, well-formed Unicode)`;
const LONE_SURROGATE = /\p{Surrogate}/u;

export class InputError extends Error {}

// Members whose value is null are dropped from objects at every depth; null array elements stay.
export function canonicalJson(value) {
  return canonicalize(dropNullMembers(value));
}

function dropNullMembers(value) {
  if (Array.isArray(value)) return value.map(dropNullMembers);
  if (value === null || typeof value !== "object") return value;
  const copy = Object.create(null); // keeps a "__proto__" member as data
  for (const [key, member] of Object.entries(value)) {
    if (member !== null && member !== undefined) copy[key] = dropNullMembers(member);
  }
  return copy;
}

// A document is a receipt when it has a signature member, and otherwise must be exactly the
// {result, receipt} pair GET /v1/jobs/{job_id}/result answers. Answers {problem} or {receipt, result?}.
function readDocument(document) {
  if (!isRecord(document)) return { problem: "document: expected an object" };
  if (Object.hasOwn(document, "signature")) return receiptProblem(document) ?? { receipt: document };
  if (!hasExactly(document, ["receipt", "result"])) return { problem: "document: expected a receipt or exactly {result, receipt}" };
  const { receipt, result } = document;
  if (!isRecord(receipt)) return { problem: "receipt: expected an object" };
  if (!isRecord(result)) return { problem: "result: expected an object" };
  const problem = receiptProblem(receipt);
  if (problem) return problem;
  if (!withinJsonLimits(result)) return { problem: `result: ${OUTSIDE_JSON_LIMITS}` };
  return { receipt, result };
}

// The shape of GET /v1/receipts/keys: {keys: [{key_id, use, status, alg, public_key_hex}]}.
export function parseKeys(document) {
  if (!isRecord(document) || !Array.isArray(document.keys)) throw new InputError("keys: expected {keys: [...]}");
  return document.keys.map((key, index) => {
    const where = `keys[${index}]`;
    if (!isRecord(key)) throw new InputError(`${where}: expected an object`);
    if (key.alg !== "Ed25519") throw new InputError(`${where}: alg must be "Ed25519"`);
    if (!["signing", "attestation"].includes(key.use)) throw new InputError(`${where}: use must be signing or attestation`);
    if (!["active", "retired"].includes(key.status)) throw new InputError(`${where}: status must be active or retired`);
    if (typeof key.public_key_hex !== "string" || !/^[0-9a-f]{64}$/i.test(key.public_key_hex)) {
      throw new InputError(`${where}: public_key_hex must be 64 hex characters`);
    }
    if (Buffer.from(key.public_key_hex, "hex").toString("base64url") !== key.key_id) {
      throw new InputError(`${where}: key_id is not the base64url of public_key_hex`);
    }
    return { key_id: key.key_id, use: key.use, status: key.status };
  });
}

export async function loadKeys(source) {
  if (/^https?:\/\//i.test(source)) {
    let response;
    try {
      response = await fetch(source, { headers: { accept: "application/json" } });
    } catch (error) {
      throw new InputError(`cannot fetch ${source}: ${error.cause?.message ?? error.message}`);
    }
    if (!response.ok) throw new InputError(`GET ${source} answered ${response.status}`);
    return parseKeys(await response.json().catch(() => undefined));
  }
  return parseKeys(await readJsonFile(source));
}

export async function readJsonFile(path) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new InputError(`cannot read ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`${path} is not JSON`);
  }
}

// keys: the parsed key list, or null to check only the signatures' math.
export function verifyReceiptDocument(document, keys) {
  const keysChecked = keys !== null;
  const read = readDocument(document);
  if (read.problem) return { valid: false, reasons: [`MALFORMED: ${read.problem}`], keysChecked, checks: [] };

  const { receipt, result } = read;
  const { signature: _signature, attestations: _attestations, ...signed } = receipt;
  const bytes = Buffer.from(canonicalJson(signed), "utf8");
  const attestations = receipt.attestations ?? [];
  const reasons = [];
  const checks = [];
  const inspect = (sig, use, label, codes) => {
    const listed = keys?.find((k) => k.key_id === sig.key_id && k.use === use);
    const mathOk = sig.alg === "Ed25519" && verifyEd25519(sig.key_id, sig.sig, bytes);
    if (sig.alg !== "Ed25519") reasons.push(`ALG_UNSUPPORTED: ${label}`);
    else if (!mathOk) reasons.push(codes.invalid);
    if (keysChecked && !listed) reasons.push(codes.untrusted);
    const trust = keysChecked ? (listed ? `listed as ${use} key (${listed.status})` : `not listed as ${use} key`) : "unchecked";
    checks.push({ label, key_id: sig.key_id, mathOk, trust });
  };

  inspect(receipt.signature, "signing", "signature", {
    invalid: "SIGNATURE_INVALID",
    untrusted: `KEY_NOT_TRUSTED: ${receipt.signature.key_id}`,
  });
  for (const [index, attestation] of attestations.entries()) {
    inspect(attestation, "attestation", `attestations.${index}`, {
      invalid: `ATTESTATION_INVALID: ${index}`,
      untrusted: `ATTESTATION_KEY_NOT_TRUSTED: ${index}`,
    });
  }
  if (attestations.length === 0 && keys?.some((k) => k.use === "attestation" && k.status === "active")) {
    reasons.push("ATTESTATION_MISSING");
  }
  const resultMatches = result === undefined ? undefined : contentHash(result) === receipt.result_hash;
  if (resultMatches === false) reasons.push("RESULT_MISMATCH");
  return { valid: reasons.length === 0, reasons, keysChecked, checks, receipt, resultMatches };
}

export function formatReport(result) {
  const lines = [];
  if (result.receipt) {
    lines.push(`receipt ${result.receipt.receipt_id ?? "(no receipt_id)"} for job ${result.receipt.job_id ?? "(no job_id)"}`);
  }
  for (const check of result.checks) {
    const trust = check.trust === "unchecked" ? "" : `, ${check.trust}`;
    lines.push(`  ${check.label} by ${check.key_id}: ${check.mathOk ? "Ed25519 ok" : "Ed25519 BAD"}${trust}`);
  }
  if (result.resultMatches !== undefined) {
    lines.push(`  result: ${result.resultMatches ? "matches result_hash" : "does NOT match result_hash"}`);
  }
  lines.push(result.valid ? "VALID" : "INVALID");
  for (const reason of result.reasons) lines.push(`  - ${reason}`);
  if (!result.keysChecked) {
    lines.push("note: keys not checked; the signatures verify under the key ids the receipt names, but nothing says");
    lines.push("      those keys belong to the coordinator (pass --keys <url or file> from GET /v1/receipts/keys)");
  }
  return lines.join("\n");
}

function verifyEd25519(keyId, sigText, bytes) {
  // Node's base64url decoder is lenient; insist on the one canonical spelling.
  if (!isCanonicalBase64url(keyId, 32) || !isCanonicalBase64url(sigText, 64)) return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: keyId }, format: "jwk" });
    return verify(null, bytes, key, Buffer.from(sigText, "base64url"));
  } catch {
    return false;
  }
}

function isCanonicalBase64url(text, length) {
  if (!BASE64URL.test(text)) return false;
  const bytes = Buffer.from(text, "base64url");
  return bytes.length === length && bytes.toString("base64url") === text;
}

// The receipt's first broken rule as {problem}, or undefined.
function receiptProblem(receipt) {
  const problem = (text) => ({ problem: text });
  if (!withinJsonLimits(receipt)) return problem(`receipt: ${OUTSIDE_JSON_LIMITS}`);
  if (receipt.version !== "1.0") return problem('version: expected "1.0"');
  for (const [name, type] of MEMBER_TYPES) {
    if (receipt[name] != null && typeof receipt[name] !== type) return problem(`${name}: expected a ${type}`);
  }
  if (!isSignature(receipt.signature)) return problem(`signature: ${NOT_A_SIGNATURE}`);
  if (receipt.attestations != null) {
    if (!Array.isArray(receipt.attestations)) return problem("attestations: expected an array");
    const bad = receipt.attestations.findIndex((a) => !isSignature(a));
    if (bad >= 0) return problem(`attestations.${bad}: ${NOT_A_SIGNATURE}`);
  }
  return undefined;
}

// At most MAX_DEPTH levels (the value itself is level 1), finite numbers (JSON.parse reads 1e400 as
// Infinity), and no lone surrogate in a string or key. Walks with a list, so any depth is safe.
function withinJsonLimits(value) {
  const pending = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === "number" && !Number.isFinite(item)) return false;
    if (typeof item === "string" && LONE_SURROGATE.test(item)) return false;
    if (typeof item !== "object" || item === null) continue;
    if (depth > MAX_DEPTH) return false;
    for (const [key, member] of Object.entries(item)) {
      if (LONE_SURROGATE.test(key)) return false;
      pending.push([member, depth + 1]);
    }
  }
  return true;
}

function contentHash(value) {
  return `sha256:${createHash("sha256").update(canonicalJson(value), "utf8").digest("hex")}`;
}

function isSignature(value) {
  return (
    isRecord(value) &&
    hasExactly(value, ["alg", "key_id", "sig"]) &&
    ["alg", "key_id", "sig"].every((name) => typeof value[name] === "string")
  );
}

function hasExactly(record, names) {
  const own = Object.keys(record);
  return own.length === names.length && names.every((name) => Object.hasOwn(record, name));
}

function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
