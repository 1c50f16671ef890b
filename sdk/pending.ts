// Hand-declared wire types of features not yet in the served document: POST
// /v1/miners/{job_id}/progress and the job.progress / output.chunk events of a job's stream. Once
// they are served, run `npm run sdk:generate`, use the generated types in their place (types.ts,
// client.ts `miners.progress`, events.ts) and delete this file.

export interface ProgressReport {
  lease_id: string;
  /** Grows with each report of the lease; a repeated seq is a repeated report. */
  seq: number;
  /** Fraction done, 0 to 1. */
  progress?: number | null;
  message?: string | null;
  /** Output produced since the last report (at most 64 KiB), streamed to watchers as output.chunk. */
  output?: string | null;
}

export interface ProgressAnswer {
  status: "ok";
  /** The job was canceled: stop working on it. */
  canceled: boolean;
}

export interface JobProgressEvent {
  type: "job.progress";
  job_id: string;
  at: string;
  seq: number;
  progress?: number | null;
  message?: string | null;
}

export interface OutputChunkEvent {
  type: "output.chunk";
  job_id: string;
  at: string;
  seq: number;
  output: string;
}
