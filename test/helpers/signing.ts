// X-Signature values as a client computes them (docs/security.md, "Request signing").
import { hmacHex, type SignedRequest, signingStringV1, signingStringV2 } from "../../src/auth/hmac";

export interface Signable {
  method: string;
  path: string;
  body?: string;
  minerId?: string;
  idempotencyKey?: string;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function signedRequest({ method, path, body = "", minerId, idempotencyKey }: Signable): SignedRequest {
  return { method, pathAndQuery: path, minerId, idempotencyKey, body: new TextEncoder().encode(body) };
}

export async function signV2(secret: string, request: Signable, at = nowSeconds()): Promise<string> {
  return `t=${at},v2=${await hmacHex(secret, await signingStringV2(at, signedRequest(request)))}`;
}

export async function signV1(secret: string, request: Signable, at = nowSeconds()): Promise<string> {
  return `t=${at},v1=${await hmacHex(secret, await signingStringV1(at, signedRequest(request)))}`;
}
