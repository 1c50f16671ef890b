// Request signing from API.md: X-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret,
// "<t>.<METHOD>.<path?query>.<hex sha256(body)>")>. Pure apart from Web Crypto; the caller
// supplies the clock and the replay memory.
import { sha256Hex } from "../lib/hash";
import { bytesToHex } from "../lib/encoding";

export const MAX_SKEW_SECONDS = 300;

export type SignatureCheck =
  | { ok: true; signature: string; timestamp: number }
  | { ok: false; reason: "SIGNATURE_REQUIRED" | "SIGNATURE_MALFORMED" | "SIGNATURE_EXPIRED" | "SIGNATURE_INVALID"; message: string };

export function parseSignatureHeader(header: string): { timestamp: number; signature: string } | null {
  const fields = new Map(
    header.split(",").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = fields.get("t");
  const v1 = fields.get("v1");
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return null;
  return { timestamp: Number(t), signature: v1 };
}

export async function signingString(timestamp: number, method: string, pathAndQuery: string, body: Uint8Array): Promise<string> {
  return `${timestamp}.${method.toUpperCase()}.${pathAndQuery}.${await sha256Hex(body)}`;
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
  request: { secret: string; method: string; pathAndQuery: string; body: Uint8Array; nowSeconds: number },
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "SIGNATURE_REQUIRED", message: "this key must sign requests (X-Signature)" };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: "SIGNATURE_MALFORMED", message: "X-Signature must be t=<unix seconds>,v1=<64 hex>" };
  if (Math.abs(request.nowSeconds - parsed.timestamp) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "SIGNATURE_EXPIRED", message: `signature time is more than ${MAX_SKEW_SECONDS} s from now` };
  }
  const expected = await hmacHex(request.secret, await signingString(parsed.timestamp, request.method, request.pathAndQuery, request.body));
  if (!equalInConstantTime(expected, parsed.signature)) {
    return { ok: false, reason: "SIGNATURE_INVALID", message: "signature does not match the request" };
  }
  return { ok: true, signature: parsed.signature, timestamp: parsed.timestamp };
}
