// A signed receipt as the coordinator issues it (docs/receipts.md).

export interface ReceiptSignature {
  alg: "Ed25519";
  key_id: string;
  sig: string;
}

export interface UnsignedReceipt {
  version: "1.0";
  receipt_id: string;
  job_id: string;
  provider: string;
  client: string;
  units: number;
  unit_type: string;
  price: number;
  started_at: number;
  completed_at: number;
  duration_ms: number;
  coordinator_id: string;
  nonce: string;
  payload_hash: string;
  result_hash: string;
  chain_id?: number;
}

export interface Receipt extends UnsignedReceipt {
  signature: ReceiptSignature;
  attestations?: ReceiptSignature[];
}
