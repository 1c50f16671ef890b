// Settings every in-workerd test runs with. Plain values only: this file is read by vitest.config.ts.
export const TEST_KEYS = {
  client: "test-client-key-0123456789abcdef",
  client2: "test-client2-key-0123456789abcdef",
  miner: "test-miner-key-0123456789abcdef",
  miner2: "test-miner2-key-0123456789abcdef",
  admin: "test-admin-key-0123456789abcdef",
} as const;

export const TEST_SEEDS = {
  signing: "e2c35a46318ec09cf1cc04f06c4ba18bf2cd3f0ed318d986f01228bdbf9fd326",
  attestation: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
  secretsBox: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
  /** A SECRETS_ENCRYPTION_KEY_HEX other than the one that sealed the stored HMAC secrets. */
  otherSecretsBox: "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
} as const;

/** The signing seed after a rotation, in the workers-rotated-keys project. */
export const ROTATED_SEED = "7d8c9b0a1f2e3d4c5b6a79880716253443526170f0e1d2c3b4a5968778695a4b";

// Every setting is pinned here, so a developer's .dev.vars (which wrangler also loads) cannot change
// what the suite sees.
export const TEST_BINDINGS = {
  APP_ENV: "test",
  // Request and decision lines would bury the test log; test/integration/tracing.test.ts turns them on.
  LOG_LEVEL: "warn",
  JOB_TTL_SECONDS: "900",
  HEARTBEAT_INTERVAL_SECONDS: "10",
  HEARTBEAT_TIMEOUT_SECONDS: "30",
  RETRY_BACKOFF_BASE_SECONDS: "2",
  RETRY_BACKOFF_MAX_SECONDS: "300",
  FINISHED_JOB_RETENTION_SECONDS: "86400",
  COORDINATOR_ID: "edge-coordinator-local",
  CHAIN_ID: "",
  HMAC_REQUIRED: "false",
  RECEIPT_RETIRED_KEYS_HEX: "",
  RECEIPT_RETIRED_ATTESTATION_KEYS_HEX: "",
  REGIONS: "local,eu-west:weur,us-east:enam",
  SHARDS_PER_REGION: "1",
  // The shared runtime's regions never spill (tests there expect a job to stay where it was sent);
  // the workers-global project tests spilling with a short wait.
  SPILL_AFTER_SECONDS: "86400",
  CLIENT_API_KEYS: `${TEST_KEYS.client},${TEST_KEYS.client2}`,
  MINER_API_KEYS: `${TEST_KEYS.miner},${TEST_KEYS.miner2}`,
  ADMIN_API_KEYS: TEST_KEYS.admin,
  RECEIPT_SIGNING_KEY_HEX: TEST_SEEDS.signing,
  RECEIPT_ATTESTATION_KEY_HEX: TEST_SEEDS.attestation,
  SECRETS_ENCRYPTION_KEY_HEX: TEST_SEEDS.secretsBox,
} as const;

/** The workers-global project: two regions of two shards, spilling after 1 s. */
export const GLOBAL_BINDINGS = {
  REGIONS: "us-east:enam,eu-west:weur",
  SHARDS_PER_REGION: "2",
  SPILL_AFTER_SECONDS: "1",
} as const;
