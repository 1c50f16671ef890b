// A re-issue (after a key rotation, say) signs the same facts again with today's keys under a new
// receipt id and nonce, and is appended to the job's receipt history; the original stays valid
// for as long as its key is listed. It settles nothing new.
import { newNonce, newReceiptId } from "../lib/ids";
import type { Receipt, UnsignedReceipt } from "../model/receipt";
import type { ReceiptKeyring } from "./keyring";
import { signReceipt } from "./sign-receipt";

export async function reissue(previous: Receipt, ring: ReceiptKeyring): Promise<Receipt | null> {
  if (!ring.signing) return null;
  const { signature: _signature, attestations: _attestations, ...facts } = previous;
  const unsigned: UnsignedReceipt = { ...facts, receipt_id: newReceiptId(), nonce: newNonce() };
  return signReceipt(unsigned, ring.signing, ring.attestation ?? undefined);
}
