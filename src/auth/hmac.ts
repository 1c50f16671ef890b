// Request signing: X-Signature: t=<unix s>,v2=<hex HMAC-SHA256(secret, signing string)>. The v2 string
// covers the headers that choose what a call acts on (X-Miner-Id, Idempotency-Key); v1, which does
// not, is still accepted from requests that carry neither. docs/security.md has the exact strings.
// Pure apart from Web Crypto; the caller supplies the clock and the replay memory.

import { bytesToHex } from "../lib/encoding";
import { sha256Hex } from "../lib/hash";

export const MAX_SKEW_SECONDS = 300;

export type SignatureRefusal =
  | "SIGNATURE_REQUIRED"
  | "SIGNATURE_MALFORMED"
  | "SIGNATURE_EXPIRED"
  | "SIGNATURE_V2_REQUIRED"
  | "SIGNATURE_INVALID";

export type SignatureCheck = { ok: true; signature: string; timestamp: number } | { ok: false; reason: SignatureRefusal; message: string };

export interface SignedRequest {
  method: string;
  pathAndQuery: string;
  /** X-Miner-Id and Idempotency-Key as received; absent is the same as empty. */
  minerId?: string;
  idempotencyKey?: string;
  body: Uint8Array;
}

interface ParsedSignature {
  timestamp: number;
  v1?: string;
  v2?: string;
}

const HEX_MAC = /^[0-9a-f]{64}$/;

/** t and at least one of v1, v2, in any order; null when anything present is malformed. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  const fields = new Map(
    header.split(",").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = fields.get("t");
  const v1 = fields.get("v1");
  const v2 = fields.get("v2");
  if (!t || !/^\d{1,12}$/.test(t)) return null;
  if ((v1 === undefined && v2 === undefined) || [v1, v2].some((mac) => mac !== undefined && !HEX_MAC.test(mac))) return null;
  return { timestamp: Number(t), ...(v1 === undefined ? {} : { v1 }), ...(v2 === undefined ? {} : { v2 }) };
}

/** v1: "<t>.<METHOD>.<path?query>.<hex sha256(body)>". */
export async function signingStringV1(timestamp: number, request: SignedRequest): Promise<string> {
  return `${timestamp}.${request.method.toUpperCase()}.${request.pathAndQuery}.${await sha256Hex(request.body)}`;
}

/**
 * v2: t, METHOD, path?query, X-Miner-Id, Idempotency-Key and hex sha256(body), one per line. Neither
 * a header value nor a parsed URL can hold a line break, so no field can be shifted into the next
 * (a dot could: miner ids, idempotency keys and paths may all contain one).
 */
export async function signingStringV2(timestamp: number, request: SignedRequest): Promise<string> {
  return [
    timestamp,
    request.method.toUpperCase(),
    request.pathAndQuery,
    request.minerId ?? "",
    request.idempotencyKey ?? "",
    await sha256Hex(request.body),
  ].join("\n");
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message))));
}

function equalInConstantTime(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  return left.byteLength === right.byteLength && crypto.subtle.timingSafeEqual(left, right);
}

export async function checkSignature(
  header: string | undefined,
  request: SignedRequest & { secret: string; nowSeconds: number },
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "SIGNATURE_REQUIRED", message: "this key must sign requests (X-Signature)" };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: "SIGNATURE_MALFORMED", message: "X-Signature must be t=<unix seconds>,v2=<64 hex>" };
  if (Math.abs(request.nowSeconds - parsed.timestamp) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "SIGNATURE_EXPIRED", message: `signature time is more than ${MAX_SKEW_SECONDS} s from now` };
  }
  let signature: string;
  let signed: string;
  if (parsed.v2 !== undefined) {
    signature = parsed.v2;
    signed = await signingStringV2(parsed.timestamp, request);
  } else {
    if (request.minerId || request.idempotencyKey) {
      return {
        ok: false,
        reason: "SIGNATURE_V2_REQUIRED",
        message: "a request with X-Miner-Id or Idempotency-Key must be signed with v2, which covers them",
      };
    }
    signature = parsed.v1!;
    signed = await signingStringV1(parsed.timestamp, request);
  }
  if (!equalInConstantTime(await hmacHex(request.secret, signed), signature)) {
    return { ok: false, reason: "SIGNATURE_INVALID", message: "signature does not match the request" };
  }
  return { ok: true, signature, timestamp: parsed.timestamp };
}
