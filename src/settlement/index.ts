// Each issued receipt becomes a pending settlement of amount price × units, both signed figures
// (price is the agreed price per unit). The recorder only returns outbox writes, so
// the settlement row reaches D1 in the same flush as its receipt; a chain or payment
// integration replaces PendingSettlementRecorder and settles the pending rows later.
import type { OutboxWrite } from "../db/writes";
import type { Receipt } from "../model/receipt";

export interface SettlementRecorder {
  recordIssued(receipt: Receipt, issuedAt: number): OutboxWrite[];
}

export class PendingSettlementRecorder implements SettlementRecorder {
  recordIssued(receipt: Receipt, issuedAt: number): OutboxWrite[] {
    return [
      {
        kind: "settlement",
        row: {
          settlementId: receipt.receipt_id,
          receiptId: receipt.receipt_id,
          jobId: receipt.job_id,
          provider: receipt.provider,
          client: receipt.client,
          amount: receipt.price * receipt.units,
          unitType: receipt.unit_type,
          units: receipt.units,
          status: "pending",
          createdAt: issuedAt,
        },
      },
    ];
  }
}
