// The client CLI's exit statuses (docs/clients.md, "Exit statuses").
import type { JobState } from "../sdk";

export const EXIT = {
  OK: 0,
  /** verify: the receipt is INVALID; batch: at least one job was refused. */
  NEGATIVE: 1,
  /** Bad arguments or an unreadable input file. */
  USAGE: 2,
  /** The coordinator answered with an error (4xx, 5xx). */
  REFUSED: 3,
  /** No answer from the coordinator (after the retries allowed). */
  UNREACHABLE: 4,
  FAILED: 5,
  CANCELED: 6,
  EXPIRED: 7,
  /** A fault of the CLI itself (a bug); never 1, so it cannot pass for a verdict. */
  INTERNAL: 70,
} as const;

/** The status of a command that followed a job to this state: 0 only for COMPLETED. */
export function exitForState(state: JobState): number {
  switch (state) {
    case "COMPLETED":
      return EXIT.OK;
    case "FAILED":
      return EXIT.FAILED;
    case "CANCELED":
      return EXIT.CANCELED;
    case "EXPIRED":
      return EXIT.EXPIRED;
    default:
      throw new Error(`${state} is not a final state`);
  }
}
