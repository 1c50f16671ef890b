import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { ROTATED_SEED, TEST_BINDINGS, TEST_SEEDS } from "./test/helpers/test-bindings.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const workersProject = (name: string, include: string[], bindings: Record<string, string> = {}) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...TEST_BINDINGS, ...bindings, TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: { name, include, setupFiles: ["./test/setup/apply-migrations.ts"] },
  });
  return {
    test: {
      projects: [
        workersProject("workers", ["test/unit/**/*.test.ts", "test/do/**/*.test.ts", "test/integration/**/*.test.ts"]),
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
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
