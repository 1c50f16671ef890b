function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const newJobId = (): string => randomHex(16);
export const newLeaseId = (): string => randomHex(16);
export const newReceiptId = (): string => randomHex(16);
export const newNonce = (): string => randomHex(8);
export const newRequestId = (): string => randomHex(16);
export const newSessionToken = (): string => randomHex(24);
export const newKeyId = (): string => randomHex(8);
export const newSecret = (): string => randomHex(32);

export const JOB_ID_PATTERN = /^[0-9a-f]{32}$/;
export const MINER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
