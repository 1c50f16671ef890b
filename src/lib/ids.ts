import { bytesToHex } from "./encoding";

const randomHex = (bytes: number): string => bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));

/** 32 lower-case hex digits; a prefix (hex, shorter than 32) replaces the first random ones. */
export const newJobId = (prefix = ""): string => prefix + randomHex(16).slice(prefix.length);
export const newLeaseId = (): string => randomHex(16);
export const newReceiptId = (): string => randomHex(16);
export const newNonce = (): string => randomHex(8);
export const newRequestId = (): string => randomHex(16);
export const newSessionToken = (): string => randomHex(24);
export const newKeyId = (): string => randomHex(8);
export const newSecret = (): string => randomHex(32);
/** A Content-Security-Policy nonce: 128 random bits. */
export const newCspNonce = (): string => randomHex(16);
