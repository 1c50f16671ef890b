// One error shape for every 4xx/5xx: {error: {code, message, details?}, request_id}.
// STATUS_BY_CODE is the only place a code is tied to a status.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { InvalidCursorError } from "../lib/cursor";
import type { FieldProblem } from "../lib/json-limits";
import { logger } from "../lib/log";

export const STATUS_BY_CODE = {
  UNAUTHORIZED_KEY: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  MINER_NOT_FOUND: 404,
  RECEIPT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT_STATE: 409,
  LEASE_LOST: 409,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_PAYLOAD: 422,
  MALFORMED_JSON: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  JOB_NOT_READY: 425,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  // A key that must sign cannot be checked (SECRETS_ENCRYPTION_KEY_HEX missing or wrong): refused, never served unsigned.
  SIGNING_UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export const MAX_BODY_BYTES = 1024 * 1024;
export const PAYLOAD_TOO_LARGE_MESSAGE = `request body is over ${MAX_BODY_BYTES} bytes (1 MiB)`;

// The contract (docs/api.md, "Codes") names a single INVALID_PAYLOAD code for both 400 (malformed JSON) and 422 (schema);
// MALFORMED_JSON is internal only and goes on the wire as INVALID_PAYLOAD with status 400.
const WIRE_CODE: Partial<Record<ErrorCode, string>> = { MALFORMED_JSON: "INVALID_PAYLOAD" };

export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(STATUS_BY_CODE[code], { message });
  }
}

export const wireCode = (code: ErrorCode): string => WIRE_CODE[code] ?? code;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(STATUS_BY_CODE, code);
}

/** The `error` member of the one error shape (also each refused item of a batch). */
export function errorBody(code: ErrorCode, message: string, details?: FieldProblem[]) {
  return details?.length ? { code: wireCode(code), message, details } : { code: wireCode(code), message };
}

export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  details?: FieldProblem[],
  headers?: Record<string, string>,
): Response {
  const requestId: string = c.get("requestId") ?? "";
  return c.json({ error: errorBody(code, message, details), request_id: requestId }, STATUS_BY_CODE[code], headers);
}

/** One detail per issue; a member a strict object does not know is named as the field itself. */
export function zodDetails(error: ZodError, prefix = ""): FieldProblem[] {
  const fieldAt = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join(".") || "(body)";
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ field: fieldAt([...issue.path, key]), issue: "unknown field" }))
      : [{ field: fieldAt(issue.path), issue: issue.message }],
  );
}

export function handleError(err: unknown, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.details, err.headers);
  if (err instanceof InvalidCursorError)
    return errorResponse(c, "INVALID_PAYLOAD", "invalid cursor", [{ field: "cursor", issue: err.message }]);
  if (err instanceof HTTPException) {
    if (err.status === 400) return errorResponse(c, "MALFORMED_JSON", "request body is not valid JSON");
    if (err.status === 413) return errorResponse(c, "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE_MESSAGE);
    if (err.status === 415) return errorResponse(c, "UNSUPPORTED_MEDIA_TYPE", "request body must be application/json");
    if (err.status === 401) return errorResponse(c, "UNAUTHORIZED_KEY", "missing or unknown API key");
  }
  // Only the request id goes out; the cause stays in the log line.
  logger(c.get("config")?.logLevel ?? "info").error("internal error", {
    request_id: c.get("requestId"),
    trace_id: c.get("span")?.traceId,
    error: describe(err),
  });
  return errorResponse(c, "INTERNAL", "internal error; quote the request id when reporting it");
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
