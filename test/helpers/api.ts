import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { RouteConfig, z } from "@hono/zod-openapi";
import { createApp } from "../../src/app";
import type { ErrorBody } from "../../src/http/schemas";
import { scanForSecrets } from "./leak-scan";
import { TEST_KEYS } from "./test-bindings";

export type KeyName = keyof typeof TEST_KEYS;

export interface CallOptions {
  key?: KeyName | null;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TextResponse {
  status: number;
  headers: Headers;
  text: string;
}

const labelOf = (request: Request): string => `${request.method} ${new URL(request.url).pathname}`;
const isEventStream = (res: Response): boolean => (res.headers.get("content-type") ?? "").startsWith("text/event-stream");

function scanHeaders(label: string, headers: Headers): void {
  for (const [name, value] of headers) scanForSecrets(`${label} header ${name}`, value);
}

/** Reads a response and scans its headers and body; an event stream that is still open is cancelled unread. */
async function readScanned(label: string, res: Response): Promise<TextResponse> {
  const streaming = isEventStream(res);
  if (streaming) await res.body?.cancel();
  const text = streaming ? "" : await res.text();
  scanForSecrets(`${label} body`, text);
  scanHeaders(label, res.headers);
  return { status: res.status, headers: res.headers, text };
}

// The doors into the Worker. Every test goes through one of them (test/node/one-door.test.ts checks
// that no other file calls the Worker), so every response is scanned for test secrets (see
// leak-scan.ts). What no door scans, and why:
//  - the Durable Object tests (test/do/) call the region DO's RPC methods: their results never leave
//    the Worker as a response;
//  - test/e2e/ runs `wrangler dev` in Node with the keys of .dev.vars, not the test keys.

/** The door for a whole answer: every header and the body are scanned. */
export async function fetchApp(request: Request): Promise<TextResponse> {
  return readScanned(labelOf(request), await exports.default.fetch(request));
}

/** The Worker with other settings than the test project's (e.g. another ALLOW_ORIGINS), behind the same scan. */
export async function fetchAppWith(settings: Record<string, string>, request: Request): Promise<TextResponse> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(request, { ...env, ...settings }, ctx);
  await waitOnExecutionContext(ctx);
  return readScanned(labelOf(request), res);
}

/**
 * The door for an answer read as it arrives (an event stream, a WebSocket): scans the headers, and the
 * body of any other answer (a refusal), then hands the Response back unread. The caller scans every
 * frame or message it reads with scanForSecrets.
 */
export async function openApp(request: Request): Promise<Response> {
  const res = await exports.default.fetch(request);
  const label = labelOf(request);
  scanHeaders(label, res.headers);
  if (!res.webSocket && !isEventStream(res)) scanForSecrets(`${label} body`, await res.clone().text());
  return res;
}

/**
 * The door for a program that wants a Response, as fetch gives it (the SDK run inside workerd): an
 * event stream comes back unread, like openApp's; any other answer is scanned whole and handed on.
 */
export async function fetchResponse(request: Request): Promise<Response> {
  const res = await openApp(request);
  if (res.webSocket || isEventStream(res)) return res;
  const { status, headers, text } = await readScanned(labelOf(request), res);
  return new Response(status === 204 || status === 304 ? null : text, { status, headers });
}

export function appRequest(method: string, path: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (options.key !== null && options.key !== undefined) headers.set("X-Api-Key", TEST_KEYS[options.key]);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return new Request(`http://coordinator.test${path}`, { method, headers, body });
}

/** A request whose answer is not JSON (pages, assets, metrics), or may not be. */
export const callText = (method: string, path: string, options: CallOptions = {}): Promise<TextResponse> =>
  fetchApp(appRequest(method, path, options));

export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const { status, headers, text } = await callText(method, path, options);
  return { status, headers, body: text ? JSON.parse(text) : null };
}

type JsonBodyOf<R extends RouteConfig, S extends number> = R["responses"] extends {
  [K in S]: { content: { "application/json": { schema: infer Z } } };
}
  ? Z extends z.ZodType
    ? z.output<Z>
    : never
  : never;

/** The JSON body a route declares for success (200 or 201). */
export type SuccessBody<R extends RouteConfig> = JsonBodyOf<R, 200> | JsonBodyOf<R, 201>;

export interface RouteCallOptions extends Omit<CallOptions, "rawBody"> {
  /** Path parameters, e.g. { job_id }. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** Where the route's router is mounted in createApp(). */
  mount?: "/v1" | "";
}

/**
 * A call typed by the route definition it targets: the path comes from the route (with `params`
 * filled in), and the body is typed as the route's success response; `error` holds the error shape
 * whenever the status is not a success.
 */
export async function callRoute<R extends RouteConfig>(route: R, options: RouteCallOptions = {}) {
  const { params = {}, query, mount = "/v1", ...rest } = options;
  const path = route.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
  const search = query ? `?${new URLSearchParams(query)}` : "";
  const res = await call(route.method.toUpperCase(), `${mount}${path}${search}`, rest);
  const ok = res.status >= 200 && res.status < 300;
  return { ...res, body: res.body as SuccessBody<R>, error: ok ? undefined : (res.body as z.output<typeof ErrorBody>).error };
}

export const uniqueName = (prefix: string): string => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export const submit = (body: Record<string, unknown>, key: KeyName = "client", headers?: Record<string, string>) =>
  call("POST", "/v1/jobs", { key, body, headers });

export const registerMiner = (minerId: string, extra: Record<string, unknown> = {}, key: KeyName = "miner") =>
  call("POST", "/v1/miners/register", {
    key,
    body: {
      miner_id: minerId,
      capabilities: { gpus: [{ name: "A100", memory_mb: 81920 }], cuda: "12.4", models: ["llama3"], price: 1 },
      ...extra,
    },
  });

export const pollAs = (minerId: string, body: Record<string, unknown> = { max_wait_seconds: 0 }, key: KeyName = "miner") =>
  call("POST", "/v1/miners/poll", { key, body, headers: { "X-Miner-Id": minerId } });

export const minerCall = (minerId: string, path: string, body?: unknown, key: KeyName = "miner") =>
  call("POST", path, { key, body, headers: { "X-Miner-Id": minerId } });

/**
 * A miner with a GPU no other miner has, and a job only it fits, so no other test can take the job.
 * `capabilities` and `job.constraints` add to the ones that make the pair unique.
 */
export async function soloMinerAndJob(region = "eu-west", job: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}) {
  const gpu = uniqueName("gpu");
  const minerId = uniqueName("m");
  await registerMiner(minerId, { region, capabilities: { gpus: [{ name: gpu, memory_mb: 1 }], ...capabilities } });
  const constraints = (job.constraints ?? {}) as Record<string, unknown>;
  const submitted = await submit({ payload: {}, ...job, constraints: { ...constraints, region, gpu } });
  return { minerId, jobId: submitted.body.job_id as string };
}
