// The reference miner's command line: flags, their environment alternatives and defaults, checked once.
import { parseArgs } from "node:util";

export const RUNNER_NAMES = ["echo", "sleep", "shell"] as const;
export type RunnerName = (typeof RUNNER_NAMES)[number];

export interface MinerOptions {
  url: string;
  key: string;
  /** The key's HMAC secret: every request is then signed (docs/security.md). */
  hmacSecret?: string;
  /** Miner id to register; the coordinator's default (the key's principal id) when absent. */
  id?: string;
  region?: string;
  models: string[];
  gpu?: { name: string; memoryMb: number | null };
  cuda?: string;
  price?: number;
  concurrency: number;
  runner: RunnerName;
  /** The shell runner's command, run with `sh -c`. */
  command?: string;
  /** The shell runner's time limit per job. */
  timeoutSeconds: number;
  /** Longest a poll waits for work (the coordinator serves at most 30). */
  pollWaitSeconds: number;
}

export const USAGE = `usage: npm run miner -- --url URL --key KEY [options]

  --url URL          coordinator base URL (or COORDINATOR_URL)
  --key KEY          miner API key (or API_KEY)
  --hmac-secret S    the key's HMAC secret, to sign every request (or API_HMAC_SECRET)
  --id ID            miner id (default: the key's own)
  --region R         region to register in (default: the coordinator picks the nearest)
  --models a,b       models this miner serves
  --gpu NAME         GPU name, e.g. A100
  --vram-mb N        that GPU's memory in MiB (needs --gpu)
  --cuda V           CUDA version, e.g. 12.4
  --price P          price per unit
  --concurrency N    jobs run at once, 1..64 (default 1)
  --runner R         echo | sleep | shell (default echo)
  --command CMD      the shell runner's command (sh -c), payload JSON on stdin
  --timeout S        the shell runner's time limit per job in seconds (default 600)
  --poll-wait S      longest wait of one long-poll in seconds (default 15)
  -h, --help         this text`;

export class UsageError extends Error {}

function positiveNumber(flag: string, raw: string | undefined, fallback: number, { integer = false, max = Infinity } = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `${flag} must be a ${integer ? "whole " : ""}number above 0${max === Infinity ? "" : ` and at most ${max}`}, not "${raw}"`,
    );
  }
  return value;
}

/** Options from argv (without node and the script) and the environment; throws UsageError on bad input. */
export function readOptions(argv: string[], env: Record<string, string | undefined>): MinerOptions | "help" {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const url = values.url ?? env.COORDINATOR_URL;
  const key = values.key ?? env.API_KEY;
  if (!url) throw new UsageError("--url (or COORDINATOR_URL) is required");
  if (!key) throw new UsageError("--key (or API_KEY) is required");
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, not "${url}"`);

  const runner = values.runner ?? "echo";
  if (!(RUNNER_NAMES as readonly string[]).includes(runner)) throw new UsageError(`--runner must be one of ${RUNNER_NAMES.join(", ")}`);
  if (runner === "shell" && !values.command) throw new UsageError("--runner shell needs --command");
  if (values["vram-mb"] !== undefined && !values.gpu) throw new UsageError("--vram-mb needs --gpu");
  const price = values.price === undefined ? undefined : Number(values.price);
  if (price !== undefined && (values.price!.trim() === "" || !Number.isFinite(price) || price < 0)) {
    throw new UsageError(`--price must be a number of 0 or more, not "${values.price}"`);
  }

  const hmacSecret = values["hmac-secret"] ?? env.API_HMAC_SECRET;
  return {
    url: url.replace(/\/+$/, ""),
    key,
    ...(hmacSecret ? { hmacSecret } : {}),
    id: values.id,
    region: values.region,
    models: (values.models ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean),
    gpu: values.gpu
      ? {
          name: values.gpu,
          memoryMb: values["vram-mb"] === undefined ? null : positiveNumber("--vram-mb", values["vram-mb"], 0, { integer: true }),
        }
      : undefined,
    cuda: values.cuda,
    price,
    concurrency: positiveNumber("--concurrency", values.concurrency, 1, { integer: true, max: 64 }),
    runner: runner as RunnerName,
    command: values.command,
    timeoutSeconds: positiveNumber("--timeout", values.timeout, 600),
    pollWaitSeconds: positiveNumber("--poll-wait", values["poll-wait"], 15, { max: 30 }),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: "string" },
      key: { type: "string" },
      "hmac-secret": { type: "string" },
      id: { type: "string" },
      region: { type: "string" },
      models: { type: "string" },
      gpu: { type: "string" },
      "vram-mb": { type: "string" },
      cuda: { type: "string" },
      price: { type: "string" },
      concurrency: { type: "string" },
      runner: { type: "string" },
      command: { type: "string" },
      timeout: { type: "string" },
      "poll-wait": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
