// edge-coordinator SDK: a typed client for the coordinator's HTTP API (docs/clients.md).
export {
  type BatchSubmitted,
  type CallOptions,
  CoordinatorClient,
  type CoordinatorOptions,
  type JobReportOptions,
  type MinerCallOptions,
  newIdempotencyKey,
  type SubmitOptions,
  type Submitted,
} from "./client";
export { ConnectionError, CoordinatorError, type FieldProblem } from "./errors";
export type { JobEvent, JobEventsOptions } from "./events";
export { type TrustedKey, trustedKeysOf, type VerifyResult, verifyReceiptDocument } from "./receipts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry";
export type { components, operations, paths } from "./schema";
export * from "./types";
