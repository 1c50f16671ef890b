// The OpenAPI side of what no single schema says: which errors each operation can answer with (its
// error responses list exactly those codes, each under its status), how a caller authenticates, and
// helpers for JSON bodies and answers.
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { MAX_SKEW_SECONDS } from "../auth/hmac";
import { type ErrorCode, MAX_BODY_BYTES, PAYLOAD_TOO_LARGE_MESSAGE, STATUS_BY_CODE, wireCode } from "./errors";
import { MAX_HEADER_BYTES, MAX_HEADERS } from "./middleware/header-guard";
import { RATE_LIMIT_PERIOD_SECONDS } from "./middleware/rate-limit";
import { ErrorBody } from "./schemas";

/** What each code means (an operation may say it more precisely), and a message it comes with. */
const ERRORS: Record<ErrorCode, { meaning: string; message: string }> = {
  UNAUTHORIZED_KEY: {
    meaning:
      "no API key, an unknown or revoked one, or a request signature that is missing, malformed, expired, replayed or wrong (details then name x-signature and the reason)",
    message: "missing or unknown API key",
  },
  FORBIDDEN: { meaning: "the key's role may not call this operation", message: "this endpoint needs a client key" },
  NOT_FOUND: { meaning: "nothing has this id", message: "no such key" },
  JOB_NOT_FOUND: {
    meaning: "no job of the caller's has this id (an id of another shape, or another client's job, answers the same)",
    message: "job not found",
  },
  MINER_NOT_FOUND: { meaning: "the miner is not registered for this key", message: "miner not registered for this key; register first" },
  RECEIPT_NOT_FOUND: { meaning: "no receipt has been issued for the job", message: "no receipt has been issued for this job" },
  METHOD_NOT_ALLOWED: { meaning: "the path exists, but not with this method (see Allow)", message: "use GET" },
  CONFLICT_STATE: { meaning: "the job's state forbids this", message: "a COMPLETED job cannot be canceled" },
  LEASE_LOST: {
    meaning: "the job is no longer leased to this miner, or lease_id is not its current lease",
    message: "job is no longer leased to this miner",
  },
  PAYLOAD_TOO_LARGE: { meaning: `the body is over ${MAX_BODY_BYTES} bytes (1 MiB)`, message: PAYLOAD_TOO_LARGE_MESSAGE },
  HEADERS_TOO_LARGE: {
    meaning: `more than ${MAX_HEADERS} request headers, or one over ${MAX_HEADER_BYTES} bytes (details name it)`,
    message: `request header x-api-key is over ${MAX_HEADER_BYTES} bytes`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    meaning: "a body that is not application/json (or application/*+json)",
    message: "request body must be application/json",
  },
  INVALID_PAYLOAD: { meaning: "invalid input: details name each bad field by its dotted path", message: "invalid request body" },
  MALFORMED_JSON: { meaning: "the body is not valid JSON", message: "request body is not valid JSON" },
  IDEMPOTENCY_KEY_REUSED: {
    meaning: "the Idempotency-Key was already used with a different body",
    message: "Idempotency-Key was already used with a different body",
  },
  JOB_NOT_READY: { meaning: "the job has not finished yet; ask again later", message: "job is RUNNING; try again later" },
  RATE_LIMITED: {
    meaning: `too many requests: retry after Retry-After seconds (${RATE_LIMIT_PERIOD_SECONDS})`,
    message: `too many requests; retry in ${RATE_LIMIT_PERIOD_SECONDS} s`,
  },
  INTERNAL: {
    meaning: "a bug: only the request id is said, quote it when reporting",
    message: "internal error; quote the request id when reporting it",
  },
  SIGNING_UNAVAILABLE: {
    meaning: "the key must sign its requests, and the coordinator cannot check its signatures (an operator must fix that)",
    message: "this key must sign its requests, but the coordinator cannot check its signatures",
  },
};

/** The wire codes a status can carry, from the one code → status table. */
function codesOfStatus(status: number): string[] {
  const codes = (Object.keys(STATUS_BY_CODE) as ErrorCode[]).filter((code) => STATUS_BY_CODE[code] === status).map(wireCode);
  return [...new Set(codes)];
}

const pascal = (code: string) =>
  code
    .toLowerCase()
    .split("_")
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");

const errorSchemas = new Map<string, z.ZodType>();

/**
 * The one error shape with the codes it carries here: `Error404` when they are all the codes of the
 * status, else named after them (`Error404JobNotFound`). One component per name.
 */
function errorSchema(status: number, codes: ErrorCode[]): z.ZodType {
  const wire = [...new Set(codes.map(wireCode))] as [string, ...string[]];
  const all = codesOfStatus(status);
  const name = `Error${status}${wire.length === all.length ? "" : wire.map(pascal).join("")}`;
  const existing = errorSchemas.get(name);
  if (existing) return existing;
  const example = { code: wire[0], message: ERRORS[codes[0]!].message };
  const schema = ErrorBody.extend({
    error: ErrorBody.shape.error
      .extend({ code: z.enum(wire).openapi({ description: "What went wrong, as a stable code", example: wire[0] }) })
      .openapi({ description: "The error", example }),
  }).openapi(name, { example: { error: example, request_id: "f6d1c2b0a9e8d7c6" } });
  errorSchemas.set(name, schema);
  return schema;
}

/** Response headers the error responses name; registered on the app's OpenAPI registry. */
export const HEADER_COMPONENTS = {
  RequestId: {
    description: "The request's id, the same as request_id in the body",
    schema: { type: "string", example: "f6d1c2b0a9e8d7c6" },
  },
  RetryAfter: {
    description: "Seconds to wait before trying again",
    schema: { type: "integer", example: RATE_LIMIT_PERIOD_SECONDS },
  },
} as const;

const header = (name: keyof typeof HEADER_COMPONENTS) => ({ $ref: `#/components/headers/${name}` });

/** The codes an operation's shape implies: what the middleware in front of every route can answer. */
function impliedCodes(route: RouteConfig): ErrorCode[] {
  return [
    "RATE_LIMITED",
    "HEADERS_TOO_LARGE",
    "INTERNAL",
    ...(route.security?.length ? (["UNAUTHORIZED_KEY", "FORBIDDEN", "SIGNING_UNAVAILABLE"] as const) : []),
    // Any request but a GET may carry a body, and every body is size- and type-checked before routing.
    ...(route.method === "get" ? [] : (["PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as const)),
    ...(route.request?.body ? (["MALFORMED_JSON"] as const) : []),
  ];
}

function errorResponses(codes: readonly ErrorCode[], meanings: Partial<Record<ErrorCode, string>>) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(STATUS_BY_CODE[code], [...(byStatus.get(STATUS_BY_CODE[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, carried]) => [
      status,
      {
        description: carried.map((code) => `${wireCode(code)}: ${meanings[code] ?? ERRORS[code].meaning}.`).join(" "),
        headers: { "X-Request-Id": header("RequestId"), ...(status === 429 ? { "Retry-After": header("RetryAfter") } : {}) },
        content: { "application/json": { schema: errorSchema(status, carried) } },
      },
    ]),
  );
}

type DocumentedRoute = RouteConfig & {
  /** The codes this operation answers with beyond those its shape implies (see impliedCodes). */
  errors?: readonly ErrorCode[];
  /** What a code means for this operation, where that says more than its general meaning. */
  errorMeanings?: Partial<Record<ErrorCode, string>>;
};

/**
 * createRoute, with the error responses of exactly the codes the operation can answer with: those
 * its shape implies (every route: 429, 431, 500; keyed: 401, 403, 503; not a GET: 413, 415; a JSON
 * body: 400) and the ones it names.
 */
export function apiRoute<const R extends DocumentedRoute>({ errors = [], errorMeanings = {}, ...route }: R) {
  const responses = { ...route.responses, ...errorResponses([...impliedCodes(route), ...errors], errorMeanings) };
  return createRoute({ ...route, responses } as Omit<R, "errors" | "errorMeanings">);
}

export const jsonBody = <T>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const SIGNING = `Required for keys created with hmac: true, and for every key when the coordinator runs with HMAC_REQUIRED=true (a key without a secret of its own then signs with the key itself); other keys need not sign.

X-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, signing string)>, where the signing string is six lines joined by \\n (no trailing newline): t; the method in upper case; the path and query exactly as sent (/v1/jobs?limit=5); the X-Miner-Id value or nothing; the Idempotency-Key value or nothing; the hex SHA-256 of the raw body bytes (of nothing for no body).

The secret is the key's hmac_secret. t must be within ${MAX_SKEW_SECONDS} s of the coordinator's clock, and each signature is accepted once. The older v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path?query>.<hex sha256(body)>")> is accepted only from a request with neither X-Miner-Id nor Idempotency-Key. A refused signature is a 401 UNAUTHORIZED_KEY whose details name x-signature and the reason (SIGNATURE_REQUIRED, SIGNATURE_MALFORMED, SIGNATURE_EXPIRED, SIGNATURE_V2_REQUIRED, SIGNATURE_INVALID, SIGNATURE_REPLAYED).`;

/** The security schemes the operations name; registered on the app's OpenAPI registry. */
export const SECURITY_SCHEMES = {
  ApiKey: {
    type: "apiKey",
    in: "header",
    name: "X-Api-Key",
    description: "An API key of the role the operation needs (client, miner or admin).",
  },
  Bearer: { type: "http", scheme: "bearer", description: "The same API key, sent as Authorization: Bearer <key>." },
  RequestSignature: { type: "apiKey", in: "header", name: "X-Signature", description: `HMAC request signature. ${SIGNING}` },
} as const;

/** Either key header works; a key that must sign adds X-Signature. */
export const keyAuth: Record<string, string[]>[] = [
  { ApiKey: [] },
  { Bearer: [] },
  { ApiKey: [], RequestSignature: [] },
  { Bearer: [], RequestSignature: [] },
];
