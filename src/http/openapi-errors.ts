import { ErrorBody } from "./schemas";

const error = (description: string) => ({ content: { "application/json": { schema: ErrorBody } }, description });

/** Spread into every createRoute: the statuses any endpoint can answer with the one error shape. */
export const openApiErrorResponses = {
  400: error("Malformed JSON"),
  401: error("Missing or unknown API key"),
  403: error("Key of the wrong role"),
  404: error("Unknown route or resource"),
  409: error("Conflict with the job's state or lease"),
  413: error("Body over 1 MiB"),
  415: error("Body is not JSON"),
  422: error("Invalid field; details name each one"),
  425: error("Job not finished yet"),
  429: error("Rate limited"),
  500: error("Internal error"),
  503: error("SIGNING_UNAVAILABLE: the key must sign, and the coordinator cannot check its signatures"),
} as const;

export const jsonBody = <T>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});

export const jsonResponse = <T>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** Either auth header works: X-Api-Key, or Authorization: Bearer. */
export const keyAuth: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];
