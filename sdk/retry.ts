// When a request is sent again, and after how long. Pure: the transport (transport.ts) applies it.
//
// A 429 is refused before the coordinator does anything, so any request may be sent again after
// it. A 5xx or a lost connection leaves unknown whether the request took effect, so only requests
// that are safe to repeat are sent again: reads, and writes whose repetition the coordinator
// answers as the first (a submit with its Idempotency-Key, an identical result, a cancel…).

export interface RetryPolicy {
  /** Attempts after the first one (0: never again). */
  retries: number;
  /** The first backoff is up to this long; each next one up to twice the last. */
  baseDelayMs: number;
  /** No backoff is longer. */
  maxDelayMs: number;
  /** A 429 whose Retry-After asks for longer than this is not waited for: the caller gets the error. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** Exponential backoff with full jitter: uniform in [0, min(maxDelayMs, baseDelayMs · 2^retry)). */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));
}

/** Whether an answer with this status may be asked again. */
export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 429) return true;
  return idempotent && status >= 500 && status !== 501;
}

/**
 * How long to wait before retry number `retry` (0 for the first) after an answer: a 429's
 * Retry-After when it gives one (null when that is longer than the policy allows), else backoff.
 */
export function delayAfterAnswerMs(status: number, retryAfterSeconds: number | null, retry: number, policy: RetryPolicy): number | null {
  if (status === 429 && retryAfterSeconds !== null) {
    const asked = retryAfterSeconds * 1000;
    return asked > policy.maxRetryAfterMs ? null : asked;
  }
  return backoffDelayMs(retry, policy);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
