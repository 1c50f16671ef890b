// Leases whose poll answer never reached the miner (the runtime died after committing the lease, or the
// connection dropped). A poll is the miner saying it has room: asking for max_jobs more, it runs at most
// concurrency − min(max_jobs, concurrency) jobs. The leases the region counts beyond that were never
// received, so the poll carries them again: same job, same lease, same attempt. Only the holder ever
// gets a lease back, so the single-writer rule holds. Pure: the caller reads the rows and writes back.
import type { Job } from "../model/job";

/** A lease handed over this many times and still missing is lost instead: a job that kills its miner is not its forever. */
export const MAX_LEASE_DELIVERIES = 3;

/** The most jobs a miner can be running when it polls for `maxJobs` more. */
export function heldAtMost(concurrency: number, maxJobs: number): number {
  return Math.max(0, concurrency - Math.min(maxJobs, concurrency));
}

/**
 * Which of the miner's RUNNING jobs its poll shows it does not have: as many as the region counts
 * beyond `heldAtMost`, never one the miner confirmed (listed in a heartbeat), oldest lease first, at
 * most `maxJobs`.
 */
export function undeliveredLeases(running: readonly Job[], concurrency: number, maxJobs: number): Job[] {
  const excess = running.length - heldAtMost(concurrency, maxJobs);
  if (excess <= 0) return [];
  return running
    .filter((job) => !job.leaseConfirmed)
    .sort((a, b) => (a.leaseStartedAt ?? 0) - (b.leaseStartedAt ?? 0) || a.jobId.localeCompare(b.jobId))
    .slice(0, Math.min(excess, maxJobs));
}
