import { bytesToHex } from "./encoding";

const randomHex = (bytes: number): string => bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));

export const newJobId = (): string => randomHex(16);
export const newLeaseId = (): string => randomHex(16);
export const newReceiptId = (): string => randomHex(16);
export const newNonce = (): string => randomHex(8);
export const newRequestId = (): string => randomHex(16);
export const newSessionToken = (): string => randomHex(24);
export const newKeyId = (): string => randomHex(8);
export const newSecret = (): string => randomHex(32);
