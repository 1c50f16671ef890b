// What the SDK throws: CoordinatorError for an answer in the coordinator's one error shape (or any
// other non-2xx answer), ConnectionError when no answer arrived at all (after the retries allowed).
import type { ErrorBody, ErrorCode } from "./types";

export interface FieldProblem {
  field: string;
  issue: string;
}

/** A non-2xx answer. `code` is the coordinator's error code, or `HTTP_<status>` for a body not in its error shape. */
export class CoordinatorError extends Error {
  override readonly name = "CoordinatorError";

  constructor(
    readonly status: number,
    readonly code: ErrorCode | `HTTP_${number}`,
    message: string,
    readonly details: readonly FieldProblem[] = [],
    /** The coordinator's request id (X-Request-Id), for its logs. */
    readonly requestId: string | null = null,
    /** Seconds the coordinator asked to wait (Retry-After of a 429), if it said. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** No answer: the connection failed or dropped on every attempt allowed. `cause` is the last failure. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
}

/** The error a non-2xx response stands for; `body` is what openapi-fetch parsed (JSON, else text). */
export function errorFromResponse(response: Response, body: unknown): CoordinatorError {
  const requestId = response.headers.get("x-request-id");
  const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    return new CoordinatorError(response.status, code as ErrorCode, message, details ?? [], body.request_id || requestId, retryAfter);
  }
  const text = typeof body === "string" && body.trim() ? body.trim().slice(0, 200) : response.statusText || "no error body";
  return new CoordinatorError(response.status, `HTTP_${response.status}`, text, [], requestId, retryAfter);
}

/** Retry-After as seconds from now: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, nowMs = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}
