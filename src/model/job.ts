// The shapes of a job that every layer shares: the region queue holds them, receipts and billing
// read them, the HTTP schemas are checked against them.
import type { Receipt } from "./receipt";

export const JOB_STATES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELED", "EXPIRED"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_STATES: readonly JobState[] = ["COMPLETED", "FAILED", "CANCELED", "EXPIRED"];
export const isFinal = (state: JobState): boolean => FINAL_STATES.includes(state);

export interface Constraints {
  gpu?: string;
  cuda?: string;
  min_vram_gb?: number;
  models?: string[];
  region?: string;
  max_price?: number;
  /** Caps the units a receipt may bill (of any unit type); not a matching rule. */
  max_units?: number;
}

/** What was agreed when a job was leased, from the miner's registration at that moment. */
export interface LeaseTerms {
  /** The miner's advertised `capabilities.price` (0 when it advertised none), per unit. */
  price: number;
  /** How many GPUs the miner registered; at least 1. */
  gpus: number;
}

export interface JobError {
  code: string;
  message: string;
}

export interface Metrics {
  units?: number;
  unit_type?: string;
  price?: number;
  duration_ms?: number;
}

/** A job as the region's Durable Object holds it. Times are epoch milliseconds. */
export interface Job {
  jobId: string;
  clientId: string;
  region: string;
  state: JobState;
  priority: number;
  constraints: Constraints;
  payload: Record<string, unknown>;
  payloadHash: string;
  ttlSeconds: number;
  maxAttempts: number;
  /** Attempts that ended without success (lease lost or failed); the running attempt is attempts + 1. */
  attempts: number;
  minerId: string | null;
  leaseId: string | null;
  leaseStartedAt: number | null;
  leaseExpiresAt: number | null;
  /** Set at lease, cleared when the job goes back to the queue. */
  leaseTerms: LeaseTerms | null;
  /** Poll answers that carried the current lease: 1 when leased, one more per redelivery; 0 when not leased. */
  leaseDeliveries: number;
  /** The miner showed it holds the current lease (named it in a heartbeat list), so it is never redelivered. */
  leaseConfirmed: boolean;
  /** A QUEUED job is not offered before this time (retry backoff). */
  availableAt: number;
  requestedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  expiresAt: number;
  updatedAt: number;
  result: Record<string, unknown> | null;
  resultHash: string | null;
  receipt: Receipt | null;
  error: JobError | null;
  version: number;
  eventSeq: number;
  /** The shard that holds the job now; absent in jobs from before sharding (then: region, shard 0). */
  queuedRegion?: string;
  queuedShard?: number;
  /** The region of the shard that leased it last. */
  ranRegion?: string | null;
  /** Set on a forwarding record: the job was handed to this shard (its DO name) and lives there now. */
  movedTo?: string;
  /** The W3C trace of the job, from its submit; absent in jobs from before tracing. */
  traceId?: string;
}

export type JobEventType = "submitted" | "leased" | "completed" | "failed" | "retry_scheduled" | "lease_lost" | "canceled" | "expired";

export interface JobEvent {
  jobId: string;
  seq: number;
  type: JobEventType;
  fromState: JobState | null;
  toState: JobState;
  at: number;
  minerId: string | null;
  leaseId: string | null;
  detail: Record<string, unknown> | null;
  /** The job's trace (null for jobs from before tracing). */
  traceId: string | null;
  /** The span of the step: the causing request's, or a fresh one for a step a timer took. */
  spanId: string | null;
}

export interface AssignedJob {
  job_id: string;
  payload: Record<string, unknown>;
  constraints: Constraints;
  lease_id: string;
  lease_expires_at: string;
  attempt: number;
  expires_at: string;
  /** Continues the job's trace: a miner sends it back as its traceparent header when it reports on the job. */
  traceparent?: string;
}
