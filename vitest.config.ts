import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { LOW_RATE_LIMITS } from "./test/helpers/rate-limits.ts";
import { GLOBAL_BINDINGS, ROTATED_SEED, TEST_BINDINGS, TEST_SEEDS } from "./test/helpers/test-bindings.ts";

type RateLimits = Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }>;

/** The [[ratelimits]] bindings of wrangler.toml with other limits (same namespaces, period 60 s). */
const rateLimits = (limits: Record<"CLIENT" | "MINER" | "ADMIN" | "PUBLIC", number>): RateLimits => {
  const namespaces = { CLIENT: "1001", MINER: "1002", ADMIN: "1003", PUBLIC: "1004" } as const;
  return Object.fromEntries(
    Object.entries(limits).map(([role, limit]) => [
      `RATE_LIMIT_${role}`,
      { namespace_id: namespaces[role as keyof typeof namespaces], simple: { limit, period: 60 as const } },
    ]),
  );
};

const SCALAR_STANDALONE = "@scalar/api-reference/dist/browser/standalone.js";

// Every project shares one runtime across its files and makes many calls with the same test keys,
// so only the rate-limit project runs with limits low enough to reach.
const UNREACHABLE = 1_000_000;
const NO_RATE_LIMITS = rateLimits({ CLIENT: UNREACHABLE, MINER: UNREACHABLE, ADMIN: UNREACHABLE, PUBLIC: UNREACHABLE });

// `npm run test:long` raises the model test's and the fuzz test's run counts (never in CI).
const LONG_RUNS: Record<string, string> = process.env.TEST_LONG === "1" ? { MODEL_RUNS: "3500", FUZZ_RUNS: "10000" } : {};

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const workersProject = (
    name: string,
    include: string[],
    bindings: Record<string, string> = {},
    ratelimits: RateLimits = NO_RATE_LIMITS,
    test: { exclude?: string[]; fileParallelism?: boolean } = {},
  ) => ({
    // The /docs page's script, which the package does not export: wrangler's Text rule finds the file
    // itself; Vite needs its path.
    resolve: {
      alias: {
        [SCALAR_STANDALONE]: fileURLToPath(new URL(`./node_modules/${SCALAR_STANDALONE}`, import.meta.url)),
      },
    },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...TEST_BINDINGS, ...LONG_RUNS, ...bindings, TEST_MIGRATIONS: migrations }, ratelimits },
      }),
    ],
    test: { name, include, setupFiles: ["./test/setup/apply-migrations.ts", "./test/setup/leak-scan.ts"], ...test },
  });
  return {
    test: {
      projects: [
        workersProject("workers", ["test/unit/**/*.test.ts", "test/do/**/*.test.ts", "test/integration/**/*.test.ts"], {}, NO_RATE_LIMITS, {
          exclude: ["test/do/model.test.ts"],
        }),
        // Two regions of two shards each, spilling after 1 s: the files here share those four DOs, so
        // they run one after another.
        workersProject("workers-global", ["test/global/**/*.test.ts", "test/do/model.test.ts"], GLOBAL_BINDINGS, NO_RATE_LIMITS, {
          fileParallelism: false,
        }),
        // Settings that differ from the defaults get a project (and so a runtime) of their own.
        workersProject("workers-no-receipts", ["test/settings/no-receipts.test.ts"], {
          RECEIPT_SIGNING_KEY_HEX: "",
          RECEIPT_ATTESTATION_KEY_HEX: "",
        }),
        workersProject("workers-rotated-keys", ["test/settings/rotated-keys.test.ts"], {
          RECEIPT_SIGNING_KEY_HEX: ROTATED_SEED,
          RECEIPT_ATTESTATION_KEY_HEX: "",
          RECEIPT_RETIRED_KEYS_HEX: TEST_SEEDS.signing,
        }),
        workersProject("workers-hmac-required", ["test/settings/hmac-required.test.ts"], { HMAC_REQUIRED: "true" }),
        // One test file, run once without SECRETS_ENCRYPTION_KEY_HEX and once with the wrong one.
        workersProject("workers-secrets-key-missing", ["test/settings/broken-secrets-key.test.ts"], { SECRETS_ENCRYPTION_KEY_HEX: "" }),
        workersProject("workers-secrets-key-wrong", ["test/settings/broken-secrets-key.test.ts"], {
          SECRETS_ENCRYPTION_KEY_HEX: TEST_SEEDS.otherSecretsBox,
        }),
        workersProject("workers-logs", ["test/settings/tracing.test.ts"], { LOG_LEVEL: "info" }),
        workersProject("workers-rate-limits", ["test/settings/rate-limits.test.ts"], {}, rateLimits(LOW_RATE_LIMITS)),
        // Node-side checks of the repository itself (no Worker runtime).
        { test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node" } },
        // The reference miner's parts, in Node (its runs against a real coordinator are in e2e).
        { test: { name: "miner", include: ["test/miner/**/*.test.ts"], environment: "node" } },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            // Each file starts real wrangler dev servers; one file at a time keeps the crash test's
            // recovery deadline about the coordinator, not about other servers starting beside it.
            fileParallelism: false,
            // The crash test reads the Durable Objects' SQLite files with node:sqlite, which Node 22
            // announces as experimental on every run.
            execArgv: ["--disable-warning=ExperimentalWarning"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            // Pages in headless Chromium (test/browser/chromium.ts) against one real dev server that
            // every file shares; the steps of a file build on each other, and one file runs at a time.
            name: "browser",
            include: ["test/browser/**/*.test.ts"],
            globalSetup: ["test/browser/dev-server.setup.ts"],
            environment: "node",
            fileParallelism: false,
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
