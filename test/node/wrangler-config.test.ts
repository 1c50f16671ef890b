// wrangler.toml as wrangler itself reads it, environment by environment. Wrangler does not inherit
// bindings into an environment, and an environment that lists some rate limits but not all of them
// deploys without a word, so this checks what `npm run deploy:check` cannot: every environment has every
// binding; the deployed ones have rate-limit namespaces of their own, settings the coordinator accepts,
// location hints for every region, no secret among their vars, and refuse to deploy without their
// secrets. Values an operator chooses (limits, regions, shards) are left to the operator.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { parseConfig } from "../../src/config";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/http/middleware/rate-limit";

const CONFIG = resolve(dirname(fileURLToPath(import.meta.url)), "../../wrangler.toml");
const DEPLOYED = ["staging", "production"];
const REQUIRED_SECRETS = ["ADMIN_API_KEYS", "RECEIPT_SIGNING_KEY_HEX", "RECEIPT_ATTESTATION_KEY_HEX", "SECRETS_ENCRYPTION_KEY_HEX"];

/** What this test reads of an environment as wrangler resolves it (wrangler ships no type for it). */
interface WranglerEnvironment {
  vars: Record<string, unknown>;
  d1_databases: { binding: string; database_id?: string; migrations_dir?: string }[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
  ratelimits: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
  secrets?: { required?: string[] };
  observability?: { enabled?: boolean; head_sampling_rate?: number };
}

const envNames = Object.keys(experimental_readRawConfig({ config: CONFIG }).rawConfig.env ?? {});
const read = (env: string): WranglerEnvironment => unstable_readConfig({ config: CONFIG, env: env || undefined }, { hideWarnings: true });
const topLevel = read("");
const environments = envNames.map((name) => ({ name, config: read(name) }));

const bindingsOf = (config: WranglerEnvironment) => ({
  d1: config.d1_databases.map((d) => [d.binding, d.migrations_dir]),
  durableObjects: config.durable_objects.bindings.map((b) => [b.name, b.class_name]),
  rateLimits: config.ratelimits.map((r) => r.name),
});

describe("wrangler.toml", () => {
  it("has the environments the deploy guide and the bench use", () => {
    expect(envNames.sort()).toEqual(["bench", "production", "staging"]);
  });

  it("gives every environment every binding of the top level (the bench all but the rate limits)", () => {
    for (const { name, config } of environments) {
      const expected = bindingsOf(topLevel);
      expect(bindingsOf(config), name).toEqual(name === "bench" ? { ...expected, rateLimits: [] } : expected);
    }
  });

  it("counts every rate limit over the period Retry-After reports", () => {
    for (const { name, config } of [{ name: "top level", config: topLevel }, ...environments]) {
      for (const limit of config.ratelimits) expect(limit.simple.period, `${name} ${limit.name}`).toBe(RATE_LIMIT_PERIOD_SECONDS);
    }
  });

  it("gives no two environments a rate-limit namespace or a database in common", () => {
    const all = [topLevel, ...environments.map((e) => e.config)];
    const namespaces = all.flatMap((c) => c.ratelimits.map((r) => r.namespace_id));
    expect(new Set(namespaces).size).toBe(namespaces.length);
    const databases = all.map((c) => c.d1_databases[0]?.database_id);
    expect(new Set(databases).size).toBe(databases.length);
  });

  it("gives the bench env no rate-limit bindings, so no load test meets a limit or pays for the local limiter", () => {
    const bench = environments.find((e) => e.name === "bench")!.config;
    expect(bench.ratelimits).toEqual([]);
  });

  describe.each(DEPLOYED)("env.%s", (name) => {
    const config = () => environments.find((e) => e.name === name)!.config;

    it("has settings the coordinator accepts, its own name, and a location hint for every region", () => {
      const settings = parseConfig(config().vars);
      expect(settings.appEnv).toBe(name);
      expect(settings.coordinatorId).not.toBe(parseConfig(topLevel.vars).coordinatorId);
      for (const region of settings.regions) expect(region.locationHint, region.name).toBeDefined();
    });

    it("keeps every secret out of its vars and refuses to deploy without them", () => {
      expect(Object.keys(config().vars).filter((v) => /(_API_KEYS|_HEX)$/.test(v))).toEqual([]);
      expect(config().secrets?.required).toEqual(expect.arrayContaining(REQUIRED_SECRETS));
    });

    it("sends logs to Workers observability, sampled", () => {
      const { enabled, head_sampling_rate } = config().observability ?? {};
      expect(enabled).toBe(true);
      expect(head_sampling_rate).toBeGreaterThan(0);
      expect(head_sampling_rate).toBeLessThanOrEqual(1);
    });
  });
});
