// Settings are parsed once per isolate: a bad setting fails loudly on the first request
// instead of being re-read (and maybe misread) on every call.
import { z } from "zod";

export interface RegionSpec {
  name: string;
  locationHint?: DurableObjectLocationHint;
}

export interface Config {
  appEnv: string;
  regions: RegionSpec[];
  jobTtlSeconds: number;
  heartbeatIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  finishedJobRetentionSeconds: number;
  coordinatorId: string;
  chainId?: number;
  allowOrigins: string[];
  bootstrapKeys: { client: string[]; miner: string[]; admin: string[] };
  receiptSigningKeyHex?: string;
  receiptAttestationKeyHex?: string;
  receiptRetiredKeysHex: string[];
}

const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

const positiveSeconds = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

const seedHex = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (a 32-byte seed)")
  .optional()
  .or(z.literal("").transform(() => undefined));

function parseList(raw: string | undefined): string[] {
  const text = (raw ?? "").trim();
  if (text === "") return [];
  if (text.startsWith("[")) {
    const parsed: unknown = JSON.parse(text);
    return z.array(z.string()).parse(parsed).map((s) => s.trim()).filter(Boolean);
  }
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

function parseRegions(raw: string | undefined): RegionSpec[] {
  const entries = parseList(raw ?? "local");
  if (entries.length === 0) return [{ name: "local" }];
  return entries.map((entry) => {
    const [name, hint] = entry.split(":").map((s) => s.trim());
    if (!name || !/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`REGIONS: bad region name "${name}"`);
    if (hint && !(LOCATION_HINTS as readonly string[]).includes(hint)) {
      throw new Error(`REGIONS: unknown location hint "${hint}" for region ${name}`);
    }
    return hint ? { name, locationHint: hint as DurableObjectLocationHint } : { name };
  });
}

const envSchema = z.object({
  APP_ENV: z.string().default("development"),
  JOB_TTL_SECONDS: positiveSeconds(900),
  HEARTBEAT_INTERVAL_SECONDS: positiveSeconds(10),
  HEARTBEAT_TIMEOUT_SECONDS: positiveSeconds(30),
  RETRY_BACKOFF_BASE_SECONDS: positiveSeconds(2),
  RETRY_BACKOFF_MAX_SECONDS: positiveSeconds(300),
  FINISHED_JOB_RETENTION_SECONDS: positiveSeconds(86_400),
  COORDINATOR_ID: z.string().min(1).default("edge-coordinator"),
  CHAIN_ID: z.coerce.number().int().positive().optional(),
  RECEIPT_SIGNING_KEY_HEX: seedHex,
  RECEIPT_ATTESTATION_KEY_HEX: seedHex,
});

export function parseConfig(env: Record<string, unknown>): Config {
  const text = (name: string) => (typeof env[name] === "string" ? (env[name] as string) : undefined);
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string" && v !== "")),
  );
  if (!parsed.success) {
    // Name the setting, never echo its value: some settings are secrets.
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${fields}`);
  }
  const v = parsed.data;
  return {
    appEnv: v.APP_ENV,
    regions: parseRegions(text("REGIONS")),
    jobTtlSeconds: v.JOB_TTL_SECONDS,
    heartbeatIntervalSeconds: v.HEARTBEAT_INTERVAL_SECONDS,
    heartbeatTimeoutSeconds: v.HEARTBEAT_TIMEOUT_SECONDS,
    retryBackoffBaseSeconds: v.RETRY_BACKOFF_BASE_SECONDS,
    retryBackoffMaxSeconds: v.RETRY_BACKOFF_MAX_SECONDS,
    finishedJobRetentionSeconds: v.FINISHED_JOB_RETENTION_SECONDS,
    coordinatorId: v.COORDINATOR_ID,
    chainId: v.CHAIN_ID,
    allowOrigins: parseList(text("ALLOW_ORIGINS")),
    bootstrapKeys: {
      client: parseList(text("CLIENT_API_KEYS")),
      miner: parseList(text("MINER_API_KEYS")),
      admin: parseList(text("ADMIN_API_KEYS")),
    },
    receiptSigningKeyHex: v.RECEIPT_SIGNING_KEY_HEX?.toLowerCase(),
    receiptAttestationKeyHex: v.RECEIPT_ATTESTATION_KEY_HEX?.toLowerCase(),
    receiptRetiredKeysHex: parseList(text("RECEIPT_RETIRED_KEYS_HEX")).map((s) => s.toLowerCase()),
  };
}

let cached: { env: unknown; config: Config } | undefined;

export function getConfig(env: object): Config {
  if (cached?.env !== env) cached = { env, config: parseConfig(env as Record<string, unknown>) };
  return cached.config;
}
