// Settings are parsed once per isolate: a bad setting fails loudly on the first request
// instead of being re-read (and maybe misread) on every call.
import { z } from "zod";
import { fnv1aHex } from "./lib/hash";
import { LOG_LEVELS, type LogLevel } from "./lib/log";

export interface RegionSpec {
  name: string;
  locationHint?: DurableObjectLocationHint;
}

export interface Config {
  appEnv: string;
  regions: RegionSpec[];
  /** Durable Objects per region (`region:<name>` is shard 0, `region:<name>:<n>` the others). */
  shardsPerRegion: number;
  /** A job without a region constraint that has waited this long is offered to other regions' miners. */
  spillAfterSeconds: number;
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
  receiptRetiredAttestationKeysHex: string[];
  hmacRequired: boolean;
  secretsEncryptionKeyHex?: string;
  /** The least severe log line written (one JSON line per request and per queue decision at info). */
  logLevel: LogLevel;
}

const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

/** Job ids carry the shard number in two hex digits. */
export const MAX_SHARDS_PER_REGION = 256;

const positiveSeconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const seedHex = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (a 32-byte seed)")
  .optional()
  .or(z.literal("").transform(() => undefined));

/** A comma-separated list or a JSON array of strings. Errors name the setting, never its value. */
function parseList(setting: string, raw: string | undefined): string[] {
  const text = (raw ?? "").trim();
  if (text === "") return [];
  if (!text.startsWith("["))
    return text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`invalid configuration: ${setting} is neither a comma-separated list nor a JSON array`);
  }
  const list = z.array(z.string()).safeParse(parsed);
  if (!list.success) throw new Error(`invalid configuration: ${setting} must be a JSON array of strings`);
  return list.data.map((s) => s.trim()).filter(Boolean);
}

function parseSeedList(setting: string, raw: string | undefined): string[] {
  const seeds = parseList(setting, raw).map((s) => s.toLowerCase());
  if (seeds.some((s) => !/^[0-9a-f]{64}$/.test(s))) {
    throw new Error(`invalid configuration: ${setting} must list 64-hex-character seeds`);
  }
  return seeds;
}

function parseRegions(raw: string | undefined): RegionSpec[] {
  const entries = parseList("REGIONS", raw ?? "local");
  if (entries.length === 0) return [{ name: "local" }];
  const names = new Set<string>();
  const hashes = new Map<string, string>();
  return entries.map((entry) => {
    const parts = entry.split(":").map((s) => s.trim());
    const [name, hint] = parts;
    if (parts.length > 2) throw new Error(`REGIONS: "${entry}" is not name or name:hint`);
    if (!name || !/^[a-z0-9-]{1,32}$/.test(name)) throw new Error(`REGIONS: bad region name "${name}"`);
    if (names.has(name)) throw new Error(`REGIONS: region ${name} is listed twice`);
    // Job ids start with this hash of their region's name, so no two regions may share one.
    if (hashes.has(fnv1aHex(name))) throw new Error(`REGIONS: ${name} and ${hashes.get(fnv1aHex(name))} hash alike; rename one`);
    names.add(name);
    hashes.set(fnv1aHex(name), name);
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
  SHARDS_PER_REGION: z.coerce.number().int().min(1).max(MAX_SHARDS_PER_REGION).default(1),
  SPILL_AFTER_SECONDS: z.coerce.number().int().min(0).default(10),
  COORDINATOR_ID: z.string().min(1).default("edge-coordinator"),
  CHAIN_ID: z.coerce.number().int().positive().optional(),
  RECEIPT_SIGNING_KEY_HEX: seedHex,
  RECEIPT_ATTESTATION_KEY_HEX: seedHex,
  SECRETS_ENCRYPTION_KEY_HEX: seedHex,
  HMAC_REQUIRED: z.enum(["true", "false", "1", "0"]).default("false"),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
});

export function parseConfig(env: Record<string, unknown>): Config {
  // Settings arrive as strings from .dev.vars and secrets, but a JSON var or a test binding may be
  // a number or a boolean: read those as their text rather than ignore them.
  const settings = Object.fromEntries(
    Object.entries(env)
      .filter(([, v]) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      .map(([k, v]) => [k, String(v)] as const)
      .filter(([, v]) => v !== ""),
  );
  const text = (name: string): string | undefined => settings[name];
  const parsed = envSchema.safeParse(settings);
  if (!parsed.success) {
    // Name the setting, never echo its value: some settings are secrets.
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${fields}`);
  }
  const v = parsed.data;
  return {
    appEnv: v.APP_ENV,
    regions: parseRegions(text("REGIONS")),
    shardsPerRegion: v.SHARDS_PER_REGION,
    spillAfterSeconds: v.SPILL_AFTER_SECONDS,
    jobTtlSeconds: v.JOB_TTL_SECONDS,
    heartbeatIntervalSeconds: v.HEARTBEAT_INTERVAL_SECONDS,
    heartbeatTimeoutSeconds: v.HEARTBEAT_TIMEOUT_SECONDS,
    retryBackoffBaseSeconds: v.RETRY_BACKOFF_BASE_SECONDS,
    retryBackoffMaxSeconds: v.RETRY_BACKOFF_MAX_SECONDS,
    finishedJobRetentionSeconds: v.FINISHED_JOB_RETENTION_SECONDS,
    coordinatorId: v.COORDINATOR_ID,
    chainId: v.CHAIN_ID,
    allowOrigins: parseList("ALLOW_ORIGINS", text("ALLOW_ORIGINS")),
    bootstrapKeys: {
      client: parseList("CLIENT_API_KEYS", text("CLIENT_API_KEYS")),
      miner: parseList("MINER_API_KEYS", text("MINER_API_KEYS")),
      admin: parseList("ADMIN_API_KEYS", text("ADMIN_API_KEYS")),
    },
    receiptSigningKeyHex: v.RECEIPT_SIGNING_KEY_HEX?.toLowerCase(),
    receiptAttestationKeyHex: v.RECEIPT_ATTESTATION_KEY_HEX?.toLowerCase(),
    receiptRetiredKeysHex: parseSeedList("RECEIPT_RETIRED_KEYS_HEX", text("RECEIPT_RETIRED_KEYS_HEX")),
    hmacRequired: v.HMAC_REQUIRED === "true" || v.HMAC_REQUIRED === "1",
    secretsEncryptionKeyHex: v.SECRETS_ENCRYPTION_KEY_HEX?.toLowerCase(),
    receiptRetiredAttestationKeysHex: parseSeedList("RECEIPT_RETIRED_ATTESTATION_KEYS_HEX", text("RECEIPT_RETIRED_ATTESTATION_KEYS_HEX")),
    logLevel: v.LOG_LEVEL,
  };
}

let cached: { env: unknown; fingerprint: string; config: Config } | undefined;

/**
 * One Config per isolate and setting values: other per-isolate caches (bootstrap key hashes, receipt
 * keys) are keyed by it, so an env object that is not identical across requests must not mint a new one.
 */
export function getConfig(env: object): Config {
  if (cached?.env === env) return cached.config;
  const fingerprint = JSON.stringify(
    Object.entries(env)
      .filter(([, v]) => ["string", "number", "boolean"].includes(typeof v))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  if (cached?.fingerprint !== fingerprint) cached = { env, fingerprint, config: parseConfig(env as Record<string, unknown>) };
  else cached.env = env;
  return cached.config;
}
