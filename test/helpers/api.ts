import { exports } from "cloudflare:workers";
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

export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  if (options.key !== null && options.key !== undefined) headers.set("X-Api-Key", TEST_KEYS[options.key]);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await exports.default.fetch(new Request(`http://coordinator.test${path}`, { method, headers, body }));
  const text = await res.text();
  scanForSecrets(`${method} ${path} body`, text);
  for (const [name, value] of res.headers) scanForSecrets(`${method} ${path} header ${name}`, value);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

export const uniqueName = (prefix: string): string => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export const submit = (body: Record<string, unknown>, key: KeyName = "client", headers?: Record<string, string>) =>
  call("POST", "/v1/jobs", { key, body, headers });

export const registerMiner = (minerId: string, extra: Record<string, unknown> = {}, key: KeyName = "miner") =>
  call("POST", "/v1/miners/register", { key, body: { miner_id: minerId, capabilities: { gpus: [{ name: "A100", memory_mb: 81920 }], cuda: "12.4", models: ["llama3"], price: 1 }, ...extra } });

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
