// Issues the receipt for a completed job. Keys are imported once per isolate from the
// configured seeds; without a signing seed receipts are disabled and completions carry null.
import type { Config } from "../config";
import { newNonce, newReceiptId } from "../lib/ids";
import type { OutboxWrite } from "../queue/outbox";
import type { Job, Metrics } from "../queue/types";
import type { SettlementRecorder } from "../settlement";
import { billingFacts, leaseTerms } from "./billing";
import { buildUnsignedReceipt, type Receipt } from "./build";
import { signReceipt } from "./issue";
import { loadReceiptKeyring, type ReceiptKeyring } from "./keyring";

export interface IssuedReceipt {
  receipt: Receipt;
  writes: OutboxWrite[];
}

export class ReceiptIssuer {
  private keyring: Promise<ReceiptKeyring> | undefined;

  constructor(
    private readonly config: Config,
    private readonly settlement: SettlementRecorder,
  ) {}

  /** `job` is the RUNNING job as leased; `metrics` are the miner's claims, bounded by billingFacts. */
  async issue(job: Job, minerId: string, metrics: Metrics, resultHash: string, completedAt: number): Promise<IssuedReceipt | null> {
    this.keyring ??= loadReceiptKeyring(this.config);
    const { signing, attestation } = await this.keyring;
    if (!signing) return null;
    const facts = billingFacts({
      // Every lease records its terms; were they ever missing, the receipt bills at price 0.
      terms: job.leaseTerms ?? leaseTerms({}),
      leaseStartedAtMs: job.leaseStartedAt ?? completedAt,
      completedAtMs: completedAt,
      maxUnits: job.constraints.max_units,
      reported: metrics,
    });
    const unsigned = buildUnsignedReceipt({
      receiptId: newReceiptId(),
      jobId: job.jobId,
      provider: minerId,
      client: job.clientId,
      units: facts.units,
      unitType: facts.unitType,
      price: facts.price,
      startedAtMs: facts.startedAtMs,
      completedAtMs: facts.completedAtMs,
      coordinatorId: this.config.coordinatorId,
      nonce: newNonce(),
      payloadHash: job.payloadHash,
      resultHash,
      chainId: this.config.chainId,
    });
    const receipt = await signReceipt(unsigned, signing, attestation ?? undefined);
    const writes: OutboxWrite[] = [
      {
        kind: "receipt",
        row: { receiptId: receipt.receipt_id, jobId: job.jobId, seq: 1, keyId: receipt.signature.key_id, issuedAt: completedAt, body: receipt as unknown as Record<string, unknown> },
      },
      ...this.settlement.recordIssued(receipt, completedAt),
    ];
    return { receipt, writes };
  }
}
