// What the miner makes of the SDK's errors: each failed call is one of a few kinds, and the kind
// alone decides what the miner does next.
import { ConnectionError, CoordinatorError } from "../sdk";

export type FailureKind =
  /** No answer, a 5xx or a 429: the same call may succeed later. */
  | "transient"
  /** 404 MINER_NOT_FOUND: the coordinator does not know this miner (any more); register again. */
  | "forgotten"
  /** The job is no longer this miner's: lease lost, job unknown, or already completed otherwise. */
  | "gone"
  /** Anything else the coordinator refused; asking again will not help. */
  | "refused";

const GONE_CODES: ReadonlySet<string> = new Set(["LEASE_LOST", "JOB_NOT_FOUND", "CONFLICT_STATE"]);

/** The kind of a failed SDK call; undefined for an error that is not the SDK's (an abort, a bug). */
export function failureKind(error: unknown): FailureKind | undefined {
  if (error instanceof ConnectionError) return "transient";
  if (!(error instanceof CoordinatorError)) return undefined;
  if (error.status >= 500 || error.status === 429 || error.status === 408) return "transient";
  if (error.code === "MINER_NOT_FOUND") return "forgotten";
  if (GONE_CODES.has(error.code)) return "gone";
  return "refused";
}

/** How long the coordinator asked to wait before the next try (Retry-After), if it said. */
export function retryAfterMs(error: unknown): number | undefined {
  return error instanceof CoordinatorError && error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : undefined;
}

/** One line for a log: the coordinator's code and message, or the connection failure. */
export function describeFailure(error: unknown): string {
  if (error instanceof CoordinatorError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
