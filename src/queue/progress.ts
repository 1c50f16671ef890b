// The rules of a miner's progress posts, pure. A post names the lease it runs under and a seq that
// grows with each post of that lease: one at or below the last seq taken is a duplicate and stores
// nothing. A job canceled or expired while this lease held it is answered `canceled` so the miner
// stops; any other stale lease is refused like a stale result. What posts store is bounded per job.
import { toIso } from "../lib/time";
import type { Job, JobState } from "../model/job";
import type { StreamMessage } from "./job-stream";
import { checkLease } from "./state-machine";
import type { StreamHead } from "./stream-log";

/** The largest `output` of one post, in UTF-8 bytes. */
export const MAX_OUTPUT_CHUNK_BYTES = 64 * 1024;
/** The largest `message` of one post, in UTF-8 bytes. */
export const MAX_PROGRESS_MESSAGE_BYTES = 1024;
/** What the posts of one job may store in all, counted as the UTF-8 size of the events they add (their JSON). */
export const MAX_PROGRESS_BYTES_PER_JOB = 16 * 1024 * 1024;

export interface ProgressPost {
  leaseId: string;
  seq: number;
  progress?: number;
  message?: string;
  output?: string;
}

/** The job as a post is judged against. */
export type LeaseHolder = Pick<Job, "jobId" | "state" | "minerId" | "leaseId" | "attempts">;

export type PostVerdict =
  | { kind: "take" }
  /** The seq is at or below the last one taken for this lease: nothing is stored. */
  | { kind: "duplicate" }
  /** The job was canceled or expired while this lease held it. */
  | { kind: "canceled" }
  | { kind: "lease_lost"; message: string }
  /** Taking it would store more than MAX_PROGRESS_BYTES_PER_JOB for the job. */
  | { kind: "full" };

const ENDED_UNDER_LEASE: readonly JobState[] = ["CANCELED", "EXPIRED"];

/** `addedBytes`: what the post's events would store (their JSON's UTF-8 size). */
export function judgePost(job: LeaseHolder, minerId: string, post: ProgressPost, head: StreamHead, addedBytes: number): PostVerdict {
  if (ENDED_UNDER_LEASE.includes(job.state) && job.minerId === minerId && job.leaseId === post.leaseId) return { kind: "canceled" };
  const lease = checkLease(job, minerId, post.leaseId);
  if (!lease.ok) return { kind: "lease_lost", message: lease.message };
  if (head.leaseId === post.leaseId && head.lastSeq !== null && post.seq <= head.lastSeq) return { kind: "duplicate" };
  if (head.progressBytes + addedBytes > MAX_PROGRESS_BYTES_PER_JOB) return { kind: "full" };
  return { kind: "take" };
}

/** The events a post adds, in order: `job.progress` if it reports progress or a message, then `output.chunk` if it carries output. */
export function progressMessages(job: LeaseHolder, post: ProgressPost, now: number): StreamMessage[] {
  const common = { job_id: job.jobId, at: toIso(now)!, attempt: job.attempts + 1, seq: post.seq };
  const messages: StreamMessage[] = [];
  if (post.progress !== undefined || post.message !== undefined) {
    messages.push({ type: "job.progress", ...common, progress: post.progress ?? null, message: post.message ?? null });
  }
  if (post.output !== undefined) messages.push({ type: "output.chunk", ...common, data: post.output });
  return messages;
}
