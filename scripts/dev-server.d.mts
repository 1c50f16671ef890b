export declare const ROOT: string;

export declare function readVars(file: string): Record<string, string>;

export declare function firstKey(vars: Record<string, string>, name: string): string;

export interface DevServer {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  /** Process group id of the script, wrangler and workerd. */
  pid: number;
  /** The vars file the server runs with (dev keys, fresh seeds). */
  vars: Record<string, string>;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM to the process group (SIGKILL after 15 s), then removes the temp directory. */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group at once, as a crash; then removes the temp directory. */
  kill(): Promise<void>;
}

export interface DevServerOptions {
  timeoutMs?: number;
  /** Local state directory (D1, Durable Objects) to use and keep; default: a fresh one, removed with the server. */
  stateDir?: string;
  /** Vars file to use and keep; default: a fresh one, removed with the server. */
  varsFile?: string;
  /** Settings (NAME → value) written over the example's into the vars file when it does not exist yet. */
  vars?: Record<string, string>;
  /** A wrangler.toml environment for the migrations and the server, e.g. "bench" (rate limits no load test reaches). */
  env?: string;
  /** Passed on to `wrangler dev`, e.g. `["--var", "NAME:value"]` (overrides the vars file). */
  wranglerArgs?: string[];
  /** Port to listen on; default: a free one. A restart passes its predecessor's, so clients keep their URL. */
  port?: number;
}

export declare function startDevServer(options?: DevServerOptions): Promise<DevServer>;
