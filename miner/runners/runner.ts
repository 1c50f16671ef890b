// What a runner is: the work one job does on this miner. The miner loop leases, reports and cancels;
// a runner only turns a payload into a result, reporting progress and output on the way.

/** What a runner sees of a job. */
export interface RunnerJob {
  job_id: string;
  attempt: number;
  payload: Record<string, unknown>;
}

export interface RunContext {
  /** Aborted when the job is cancelled, its lease is lost, or the miner stops at once; then reject. */
  signal: AbortSignal;
  /** Fraction done, 0..1, with an optional short message. */
  progress(fraction: number, message?: string): void;
  /** A piece of the job's output text, streamed to whoever watches the job. */
  output(text: string): void;
}

export interface RunOutcome {
  result: Record<string, unknown>;
  /** Units of work done (gpu_seconds); the miner reports the run's seconds when a runner leaves it out. */
  units?: number;
}

export type Runner = (job: RunnerJob, context: RunContext) => Promise<RunOutcome>;

/** A job that cannot complete here: reported with `code`; a retryable one may run again elsewhere. */
export class JobFailure extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean) {
    super(message);
    this.code = code;
    this.retryable = retryable;
  }
}
