// Leases whose poll answer never reached the miner (the runtime died after committing the lease, or the
// connection dropped). A poll is the miner saying it has free slots: claiming `free` of them, it runs at
// most concurrency − min(free, concurrency) jobs (a poll for max_jobs says max_jobs are free). Leases the region counts beyond that were never
// received; the poll carries them again (same job, same lease, same attempt). Only the holder ever gets
// its lease back, so the single-writer rule holds. Pure: the caller hands in how to read the rows and writes back.
import type { Job } from "../model/job";

/** A lease handed over this many times and still missing is lost instead: a job that kills its miner is not its forever. */
export const MAX_LEASE_DELIVERIES = 3;

/** The most jobs a miner can be running when it says it has `free` slots. */
export function heldAtMost(concurrency: number, free: number): number {
  return Math.max(0, concurrency - Math.min(free, concurrency));
}

/**
 * What a poll shows about the miner's RUNNING jobs:
 * - `consistent`: the miner may hold them all;
 * - `lost`: these leases (every one the miner has not confirmed, oldest first) cannot all be held, and
 *   only they could be the missing ones, so each was certainly never received;
 * - `unclear`: some leases are missing but not which (or the miner confirmed them all: a result is on its
 *   way). Nothing is redelivered on a guess, which could start a job twice on one miner; the miner gets
 *   no new work until it is clear, so it frees its slots and its next polls say more.
 */
export type PollReading = { kind: "consistent" } | { kind: "lost"; leases: Job[] } | { kind: "unclear" };

/** The miner's RUNNING jobs: how many, and the jobs, which a poll needs only when some are missing. */
export interface RunningJobs {
  count: number;
  read(): readonly Job[];
}

export function readPoll(running: RunningJobs, concurrency: number, free: number): PollReading {
  const missing = running.count - heldAtMost(concurrency, free);
  if (missing <= 0) return { kind: "consistent" };
  const unconfirmed = running.read().filter((job) => !job.leaseConfirmed);
  if (unconfirmed.length === 0 || unconfirmed.length > missing) return { kind: "unclear" };
  const oldestFirst = unconfirmed.sort((a, b) => (a.leaseStartedAt ?? 0) - (b.leaseStartedAt ?? 0) || a.jobId.localeCompare(b.jobId));
  return { kind: "lost", leases: oldestFirst };
}
