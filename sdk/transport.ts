// Sends one logical request: adds the API key, signs each attempt when a secret is set, and sends
// again by the rules of retry.ts. The body is read once, so every attempt carries the same bytes
// (and the same Idempotency-Key, which the caller put in the headers).
import { ConnectionError, retryAfterSeconds } from "./errors";
import { backoffDelayMs, delayAfterAnswerMs, isRetryableStatus, type RetryPolicy, sleep } from "./retry";
import { hmacSigner } from "./signing";

export interface TransportOptions {
  apiKey?: string;
  /** The key's HMAC secret: every request is signed (X-Signature v2). */
  hmacSecret?: string;
  retry: RetryPolicy;
  fetch: (request: Request) => Promise<Response>;
}

export type Send = (request: Request) => Promise<Response>;

export interface Transport {
  /** For requests safe to repeat: retried on a lost connection, 429 and 5xx. */
  idempotent: Send;
  /** For requests that must not run twice: retried only on 429 (refused before anything happened). */
  once: Send;
}

export function createTransport(options: TransportOptions): Transport {
  const sign = options.hmacSecret ? hmacSigner(options.hmacSecret) : undefined;
  const policy = options.retry;

  async function send(request: Request, idempotent: boolean): Promise<Response> {
    const body = request.body === null ? null : await request.arrayBuffer();
    const headers = new Headers(request.headers);
    if (options.apiKey) headers.set("x-api-key", options.apiKey);
    const what = `${request.method} ${new URL(request.url).pathname}`;

    for (let retry = 0; ; retry++) {
      const { method, url, signal } = request;
      if (sign) headers.set("x-signature", await sign({ method, url, headers, body, signal }));
      const attempt = new Request(url, { method, headers, body, signal });
      let response: Response;
      try {
        response = await options.fetch(attempt);
      } catch (error) {
        if (request.signal.aborted) throw error;
        if (!idempotent || retry >= policy.retries) {
          throw new ConnectionError(`${what}: no answer after ${retry + 1} attempt(s): ${describe(error)}`, { cause: error });
        }
        await sleep(backoffDelayMs(retry, policy), request.signal);
        continue;
      }
      if (retry >= policy.retries || !isRetryableStatus(response.status, idempotent)) return response;
      const wait = delayAfterAnswerMs(response.status, retryAfterSeconds(response.headers.get("retry-after")), retry, policy);
      if (wait === null) return response;
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  }

  return { idempotent: (request) => send(request, true), once: (request) => send(request, false) };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
