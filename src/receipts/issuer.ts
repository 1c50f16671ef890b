// Signs the receipt of a completed job. Keys are imported once per isolate from the configured
// seeds; without a signing seed receipts are disabled and completions carry null.
import type { Config } from "../config";
import { newNonce, newReceiptId } from "../lib/ids";
import type { Receipt } from "../model/receipt";
import type { BillingFacts } from "./billing";
import { buildUnsignedReceipt } from "./build";
import { loadReceiptKeyring, type ReceiptKeyring } from "./keyring";
import { signReceipt } from "./sign-receipt";

/** What a receipt states about one completed job. */
export interface ReceiptFacts {
  jobId: string;
  /** The client principal id. */
  client: string;
  /** The miner id. */
  provider: string;
  payloadHash: string;
  resultHash: string;
  billing: BillingFacts;
}

export class ReceiptIssuer {
  private keyring: Promise<ReceiptKeyring> | undefined;

  constructor(private readonly config: Config) {}

  async issue(facts: ReceiptFacts): Promise<Receipt | null> {
    this.keyring ??= loadReceiptKeyring(this.config);
    const { signing, attestation } = await this.keyring;
    if (!signing) return null;
    const { billing } = facts;
    const unsigned = buildUnsignedReceipt({
      receiptId: newReceiptId(),
      jobId: facts.jobId,
      provider: facts.provider,
      client: facts.client,
      units: billing.units,
      unitType: billing.unitType,
      price: billing.price,
      startedAtMs: billing.startedAtMs,
      completedAtMs: billing.completedAtMs,
      coordinatorId: this.config.coordinatorId,
      nonce: newNonce(),
      payloadHash: facts.payloadHash,
      resultHash: facts.resultHash,
      chainId: this.config.chainId,
    });
    return signReceipt(unsigned, signing, attestation ?? undefined);
  }
}
