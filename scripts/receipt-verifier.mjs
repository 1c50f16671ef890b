// Offline receipt verification for Node (>= 22), written apart from src/ on purpose: it follows
// docs/receipts.md, so it checks the coordinator's receipts the way a third party would. It gives
// the same reason codes as POST /v1/receipts/verify.
import { createPublicKey, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import canonicalize from "canonicalize";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TEXT_MEMBERS = [
  "receipt_id", "job_id", "provider", "client", "unit_type", "coordinator_id", "nonce", "payload_hash", "result_hash",
];
const NUMBER_MEMBERS = ["units", "price", "started_at", "completed_at", "duration_ms", "chain_id"];

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

// GET /v1/jobs/{id}/result answers {result, receipt}; a bare receipt has a signature member.
export function unwrapReceipt(document) {
  const wrapped = isRecord(document) && !("signature" in document) && isRecord(document.receipt);
  return wrapped ? document.receipt : document;
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
  const receipt = unwrapReceipt(document);
  const problem = shapeProblem(receipt);
  if (problem) return { valid: false, reasons: [`MALFORMED: ${problem}`], keysChecked: keys !== null, checks: [] };

  const { signature: _signature, attestations: _attestations, ...signed } = receipt;
  let bytes;
  try {
    bytes = Buffer.from(canonicalJson(signed), "utf8");
  } catch (error) {
    return { valid: false, reasons: [`MALFORMED: not canonical JSON: ${error.message}`], keysChecked: keys !== null, checks: [] };
  }

  const attestations = receipt.attestations ?? [];
  const reasons = [];
  const checks = [];
  const inspect = (sig, use, label, codes) => {
    const listed = keys?.find((k) => k.key_id === sig.key_id && k.use === use);
    const mathOk = sig.alg === "Ed25519" && verifyEd25519(sig.key_id, sig.sig, bytes);
    if (sig.alg !== "Ed25519") reasons.push(`ALG_UNSUPPORTED: ${label}`);
    else if (!mathOk) reasons.push(codes.invalid);
    if (keys !== null && !listed) reasons.push(codes.untrusted);
    const trust = keys === null ? "unchecked" : listed ? `listed as ${use} key (${listed.status})` : `not listed as ${use} key`;
    checks.push({ label, key_id: sig.key_id, mathOk, trust });
  };

  inspect(receipt.signature, "signing", "signature", {
    invalid: "SIGNATURE_INVALID",
    untrusted: `KEY_NOT_TRUSTED: ${receipt.signature.key_id}`,
  });
  attestations.forEach((attestation, index) =>
    inspect(attestation, "attestation", `attestations.${index}`, {
      invalid: `ATTESTATION_INVALID: ${index}`,
      untrusted: `ATTESTATION_KEY_NOT_TRUSTED: ${index}`,
    }),
  );
  if (attestations.length === 0 && keys?.some((k) => k.use === "attestation" && k.status === "active")) {
    reasons.push("ATTESTATION_MISSING");
  }
  return { valid: reasons.length === 0, reasons, keysChecked: keys !== null, checks, receipt };
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

function shapeProblem(receipt) {
  if (!isRecord(receipt)) return "receipt: expected an object";
  if (receipt.version !== "1.0") return 'version: expected "1.0"';
  for (const name of TEXT_MEMBERS) {
    if (receipt[name] != null && typeof receipt[name] !== "string") return `${name}: expected a string`;
  }
  for (const name of NUMBER_MEMBERS) {
    if (receipt[name] != null && typeof receipt[name] !== "number") return `${name}: expected a number`;
  }
  if (!isSignature(receipt.signature)) return "signature: expected {alg, key_id, sig} strings";
  if (receipt.attestations != null) {
    if (!Array.isArray(receipt.attestations)) return "attestations: expected an array";
    const bad = receipt.attestations.findIndex((a) => !isSignature(a));
    if (bad >= 0) return `attestations.${bad}: expected {alg, key_id, sig} strings`;
  }
  return null;
}

function isSignature(value) {
  return isRecord(value) && ["alg", "key_id", "sig"].every((name) => typeof value[name] === "string");
}

function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
