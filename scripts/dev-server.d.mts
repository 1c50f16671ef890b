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
  stop(): Promise<void>;
}

/** `wranglerArgs` go on to `wrangler dev`, e.g. `["--var", "NAME:value"]` (overrides the vars file). */
export declare function startDevServer(options?: { timeoutMs?: number; wranglerArgs?: string[] }): Promise<DevServer>;
