// Every deadline the region queue has is a row somewhere in its storage; the DO keeps one alarm
// armed at the earliest of them. Pure: the caller reads the earliest of each kind and passes now.
export interface Deadlines {
  leaseExpiry: number | null;
  jobExpiry: number | null;
  backoffEnd: number | null;
  minerTimeout: number | null;
  outboxRetry: number | null;
  /** When the oldest unconfirmed handoff is offered to its taker again. */
  handoffRetry: number | null;
  finishedPrune: number | null;
  /** The next end-of-minute sample of the queue depth for the admin history. */
  depthSample: number | null;
}

export function nextWakeAt(deadlines: Deadlines, now: number): number | null {
  const due = Object.values(deadlines).filter((t): t is number => t !== null);
  if (due.length === 0) return null;
  return Math.max(now, Math.min(...due));
}

/** After n consecutive flush failures, wait 1 s, 2 s, 4 s … up to a minute before the next try. */
export function outboxRetryDelayMs(consecutiveFailures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, consecutiveFailures - 1));
}
