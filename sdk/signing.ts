// Request signing (docs/security.md, "Request signing"): X-Signature: t=<unix s>,v2=<hex HMAC>. The
// signing string and the MAC come from the coordinator's own module, so signer and checker cannot
// drift apart. The coordinator accepts each signature once, and `t` has whole seconds, so two
// identical requests (a retry, a repeated read) in one second would sign alike: the second one waits
// for the next second instead of being refused as SIGNATURE_REPLAYED.
import { hmacHex, signingStringV2 } from "../src/auth/hmac";
import { sleep } from "./retry";

export interface SignedParts {
  method: string;
  url: string;
  headers: Headers;
  body: ArrayBuffer | null;
  signal: AbortSignal;
}

/** The X-Signature value for one attempt of a request. */
export type RequestSigner = (parts: SignedParts) => Promise<string>;

export function hmacSigner(secret: string, nowMs: () => number = Date.now): RequestSigner {
  let second = -1;
  const usedThisSecond = new Set<string>();

  return async ({ method, url, headers, body, signal }) => {
    const { pathname, search } = new URL(url);
    const fields = {
      method,
      pathAndQuery: pathname + search,
      minerId: headers.get("x-miner-id") ?? "",
      idempotencyKey: headers.get("idempotency-key") ?? "",
      body: new Uint8Array(body ?? new ArrayBuffer(0)),
    };
    for (;;) {
      const now = nowMs();
      const t = Math.floor(now / 1000);
      if (t !== second) {
        second = t;
        usedThisSecond.clear();
      }
      const mac = await hmacHex(secret, await signingStringV2(t, fields));
      if (!usedThisSecond.has(mac)) {
        usedThisSecond.add(mac);
        return `t=${t},v2=${mac}`;
      }
      await sleep(1000 - (now % 1000), signal);
    }
  };
}
