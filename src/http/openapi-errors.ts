import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, STATUS_BY_CODE, wireCode } from "./errors";
import { ErrorBody } from "./schemas";

const DESCRIPTIONS = {
  400: "Malformed JSON",
  401: "Missing or unknown API key, or a bad request signature",
  403: "Key of the wrong role",
  404: "Unknown route or resource",
  409: "Conflict with the job's state or lease",
  413: "Body over 1 MiB",
  415: "Body is not JSON",
  422: "Invalid field; details name each one",
  425: "Job not finished yet",
  429: "Rate limited",
  431: "Request headers too large",
  500: "Internal error",
  503: "The key must sign, and the coordinator cannot check its signatures",
} as const satisfies Partial<Record<ContentfulStatusCode, string>>;

type ErrorStatus = keyof typeof DESCRIPTIONS;

/** The wire codes a status can carry, from the one code → status table. */
export function codesOfStatus(status: ErrorStatus): [string, ...string[]] {
  const codes = (Object.keys(STATUS_BY_CODE) as ErrorCode[]).filter((code) => STATUS_BY_CODE[code] === status).map(wireCode);
  const unique = [...new Set(codes)];
  if (unique.length === 0) throw new Error(`no error code has status ${status}`);
  return unique as [string, ...string[]];
}

/** The one error shape, named per status (`Error404`), with the codes that status can carry. */
function errorSchema(status: ErrorStatus) {
  return ErrorBody.extend({ error: ErrorBody.shape.error.extend({ code: z.enum(codesOfStatus(status)) }) }).openapi(`Error${status}`);
}

/** Spread into every createRoute: the statuses any endpoint can answer with the one error shape. */
export const openApiErrorResponses = Object.fromEntries(
  (Object.keys(DESCRIPTIONS).map(Number) as ErrorStatus[]).map((status) => [
    status,
    { content: { "application/json": { schema: errorSchema(status) } }, description: DESCRIPTIONS[status] },
  ]),
) as { [S in ErrorStatus]: { content: { "application/json": { schema: ReturnType<typeof errorSchema> } }; description: string } };

/** The error responses of a route that can answer only some of the statuses. */
export function errorResponsesOf<S extends ErrorStatus>(...statuses: S[]): Pick<typeof openApiErrorResponses, S> {
  return Object.fromEntries(statuses.map((status) => [status, openApiErrorResponses[status]])) as Pick<typeof openApiErrorResponses, S>;
}

export const jsonBody = <T>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** Either auth header works: X-Api-Key, or Authorization: Bearer. */
export const keyAuth: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];
