import type { UnsignedReceipt } from "../model/receipt";
import { canonicalJson } from "./canonical-json";

export interface ReceiptInput {
  receiptId: string;
  jobId: string;
  provider: string;
  client: string;
  units?: number;
  unitType?: string;
  price?: number;
  startedAtMs: number;
  completedAtMs: number;
  coordinatorId: string;
  nonce: string;
  payloadHash: string;
  resultHash: string;
  chainId?: number;
}

export const DEFAULT_UNIT_TYPE = "gpu_seconds";

export function buildUnsignedReceipt(input: ReceiptInput): UnsignedReceipt {
  const { startedAtMs, completedAtMs } = input;
  requireNonNegative("startedAtMs", startedAtMs);
  requireNonNegative("completedAtMs", completedAtMs);
  if (completedAtMs < startedAtMs) throw new RangeError("receipt completedAtMs is before startedAtMs");
  // duration_ms is always the difference of the two times, never a figure of its own.
  const durationMs = completedAtMs - startedAtMs;
  return {
    version: "1.0",
    receipt_id: input.receiptId,
    job_id: input.jobId,
    provider: input.provider,
    client: input.client,
    units: requireNonNegative("units", input.units ?? durationMs / 1000),
    unit_type: input.unitType ?? DEFAULT_UNIT_TYPE,
    price: requireNonNegative("price", input.price ?? 0),
    started_at: Math.floor(startedAtMs / 1000),
    completed_at: Math.floor(completedAtMs / 1000),
    duration_ms: durationMs,
    coordinator_id: input.coordinatorId,
    nonce: input.nonce,
    payload_hash: input.payloadHash,
    result_hash: input.resultHash,
    ...(input.chainId === undefined ? {} : { chain_id: requireNonNegative("chainId", input.chainId) }),
  };
}

// The signed bytes: every member but signature and attestations (unknown members included, so a
// verifier covers whatever a receipt carries), in canonical JSON, as UTF-8.
export function receiptSigningBytes(receipt: UnsignedReceipt | Record<string, unknown>): Uint8Array {
  const { signature: _signature, attestations: _attestations, ...signed } = receipt as Record<string, unknown>;
  return new TextEncoder().encode(canonicalJson(signed));
}

function requireNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`receipt ${name} must be a finite number ≥ 0`);
  return value;
}
