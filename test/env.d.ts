import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Set by `npm run test:long`. */
      MODEL_RUNS?: string;
      FUZZ_RUNS?: string;
    }
  }
}
