import type { ReceiptInput } from "../../../src/receipts/build";

// The published receipt test vector (docs/receipts.md, section 8), verbatim.
export const VECTOR = {
  seedHex: "e2c35a46318ec09cf1cc04f06c4ba18bf2cd3f0ed318d986f01228bdbf9fd326",
  publicKeyHex: "4c9bc7d00f69924d1cdee40c3650a2bcbb37191de2d53d93b5f21b2d3d27dbd4",
  keyId: "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q",
  canonical:
    '{"artifact_hash":"sha256:deadbeef...","chain_id":12345,"client":"ait1clientabc...","completed_at":1695720002,"coordinator_id":"coord-eu-west-1","job_id":"job-abc123","model":"runwayml/stable-diffusion-v1-5","nonce":"b7f3d10b","price":4.2,"prompt_hash":"sha256:cf1f...","provider":"ait1minerxyz...","receipt_id":"rcpt-20250926-000123","started_at":1695720000,"unit_type":"gpu_seconds","units":1.9,"version":"1.0"}',
  sig: "fSmokpSz5-qf0XwwuBOBNseIONRM3Y6Bmrko4oE6mY0nS_noq_3zQ9y87Cd3IkMct3S5Ve-URC7D8TVBiBkvAg",
} as const;

export const SEEDS = {
  attestation: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
  retired: "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
  unlisted: "5555555555555555555555555555555555555555555555555555555555555555",
} as const;

export function sampleInput(overrides: Partial<ReceiptInput> = {}): ReceiptInput {
  return {
    receiptId: "0123456789abcdef0123456789abcdef",
    jobId: "fedcba9876543210fedcba9876543210",
    provider: "miner-eu-1",
    client: "cli_8f3a01",
    startedAtMs: 1_695_720_000_250,
    completedAtMs: 1_695_720_002_150,
    coordinatorId: "coord-eu-west-1",
    nonce: "b7f3d10b",
    payloadHash: `sha256:${"a".repeat(64)}`,
    resultHash: `sha256:${"b".repeat(64)}`,
    ...overrides,
  };
}
