// The typed client: one method per operation of the coordinator's API (docs/api.md), over
// openapi-fetch and the generated types, with retries (retry.ts) and typed errors (errors.ts).
// Only fetch and Web Crypto: it runs in Workers, browsers and Node alike.
import createClient, { type Client } from "openapi-fetch";
import { errorFromResponse } from "./errors";
import { type JobEvent, type JobEventsOptions, jobEvents } from "./events";
import { type VerifyResult, verifyReceiptDocument } from "./receipts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from "./retry";
import type { paths } from "./schema";
import { createTransport, type Send } from "./transport";
import type {
  AdminJob,
  AdminJobPage,
  AdminJobView,
  AdminListJobsQuery,
  AdminListMinersQuery,
  AdminStats,
  AdminStatsHistory,
  AdminStatsHistoryQuery,
  ApiKeyPage,
  ApiKeyView,
  AssignedJob,
  BatchItem,
  BatchJob,
  CreatedKey,
  CreateKey,
  DrainAnswer,
  FailureAnswer,
  Health,
  Heartbeat,
  HeartbeatAnswer,
  JobPage,
  JobResult,
  JobView,
  ListJobsQuery,
  MinerFailure,
  MinerPage,
  MinerResult,
  MinerView,
  PageQuery,
  Poll,
  ProgressAnswer,
  ProgressPost,
  PublishedKeys,
  Receipt,
  ReceiptPage,
  RegisterMiner,
  Registration,
  ResultAnswer,
  SubmitJob,
  Verdict,
} from "./types";
import { isFinal } from "./types";

export interface CoordinatorOptions {
  /** e.g. https://coordinator.example.com (without /v1). */
  baseUrl: string;
  /** Sent as X-Api-Key. */
  apiKey?: string;
  /** The key's HMAC secret: every request is then signed (X-Signature v2, docs/security.md). */
  hmacSecret?: string;
  /** Overrides of DEFAULT_RETRY_POLICY; `{retries: 0}` never sends a request twice. */
  retry?: Partial<RetryPolicy>;
  /** A fetch to send with (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface MinerCallOptions extends CallOptions {
  /** X-Miner-Id: needed when the key runs more than one miner. */
  minerId?: string;
}

export interface JobReportOptions extends MinerCallOptions {
  /** The leased job's `traceparent`: sent as the header of the same name, so the report joins the job's trace. */
  traceparent?: string | undefined;
}

export interface SubmitOptions extends CallOptions {
  /** Default: a new random key for this submit, reused by its retries. */
  idempotencyKey?: string;
}

export interface Submitted {
  job: JobView;
  /** The coordinator had this key already and answered with that job (200, not 201). */
  replayed: boolean;
  idempotencyKey: string;
}

export interface BatchSubmitted {
  /** One answer per job, in order: {status: 201|200, job} or {status: 4xx, error}. */
  items: BatchItem[];
  /** Each job's key, in order: the caller's, or one the SDK made so that the batch could be retried. */
  idempotencyKeys: string[];
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The body of a 2xx answer, or the CoordinatorError of any other. */
async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as T;
}

const FINAL_READS = 20;
const FINAL_READ_GAP_MS = 100;

export const newIdempotencyKey = (): string => crypto.randomUUID();

export class CoordinatorClient {
  /** The openapi-fetch client underneath, for calls this class does not wrap. */
  readonly raw: Client<paths>;
  readonly retryPolicy: RetryPolicy;
  private readonly idempotent: Send;
  private readonly once: Send;

  constructor(options: CoordinatorOptions) {
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const transport = createTransport({
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.hmacSecret === undefined ? {} : { hmacSecret: options.hmacSecret }),
      retry: this.retryPolicy,
      fetch: options.fetch ?? ((request) => fetch(request)),
    });
    this.idempotent = transport.idempotent;
    this.once = transport.once;
    this.raw = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ""), fetch: this.idempotent });
  }

  health(options: CallOptions = {}): Promise<Health> {
    return unwrap(this.raw.GET("/v1/health", { ...options, fetch: this.idempotent }));
  }

  readonly jobs = {
    /** POST /v1/jobs. Retried safely: every attempt carries the same Idempotency-Key. */
    submit: async (job: SubmitJob, options: SubmitOptions = {}): Promise<Submitted> => {
      const { idempotencyKey = newIdempotencyKey(), signal } = options;
      const { data, error, response } = await this.raw.POST("/v1/jobs", {
        params: { header: { "idempotency-key": idempotencyKey } },
        body: job,
        fetch: this.idempotent,
        signal,
      });
      if (!data) throw errorFromResponse(response, error);
      return { job: data, replayed: response.status === 200, idempotencyKey };
    },

    /** POST /v1/jobs/batch, 1 to 100 jobs. A job without `idempotency_key` gets one, so the batch can be retried. */
    submitBatch: async (jobs: readonly BatchJob[], options: CallOptions = {}): Promise<BatchSubmitted> => {
      const keyed = jobs.map((job) => ({ ...job, idempotency_key: job.idempotency_key ?? newIdempotencyKey() }));
      const answer = await unwrap(this.raw.POST("/v1/jobs/batch", { body: { jobs: keyed }, fetch: this.idempotent, ...options }));
      return { items: answer.items, idempotencyKeys: keyed.map((job) => job.idempotency_key) };
    },

    /** GET /v1/jobs: one page of the caller's jobs, newest first. */
    list: (query: ListJobsQuery = {}, options: CallOptions = {}): Promise<JobPage> =>
      unwrap(this.raw.GET("/v1/jobs", { params: { query }, fetch: this.idempotent, ...options })),

    /** Every job of the caller (newest first), page after page. */
    all: (query: Omit<ListJobsQuery, "cursor"> = {}, options: CallOptions = {}): AsyncGenerator<JobView> =>
      pages((cursor) => this.jobs.list({ ...query, cursor }, options)),

    get: (jobId: string, options: CallOptions = {}): Promise<JobView> =>
      unwrap(this.raw.GET("/v1/jobs/{job_id}", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options })),

    /** GET /v1/jobs/{job_id}/result: 425 JOB_NOT_READY until COMPLETED, 409 for FAILED, CANCELED, EXPIRED. */
    result: (jobId: string, options: CallOptions = {}): Promise<JobResult> =>
      unwrap(this.raw.GET("/v1/jobs/{job_id}/result", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options })),

    /** Cancels a QUEUED or RUNNING job; cancelling again answers the same view. */
    cancel: (jobId: string, options: CallOptions = {}): Promise<JobView> =>
      unwrap(this.raw.POST("/v1/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options })),

    /** The latest receipt. */
    receipt: (jobId: string, options: CallOptions = {}): Promise<Receipt> =>
      unwrap(
        this.raw.GET("/v1/jobs/{job_id}/receipt", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options }),
      ) as Promise<Receipt>,

    /** Every receipt of the job, oldest first, one page. */
    receipts: (jobId: string, query: PageQuery = {}, options: CallOptions = {}): Promise<ReceiptPage> =>
      unwrap(
        this.raw.GET("/v1/jobs/{job_id}/receipts", { params: { path: { job_id: jobId }, query }, fetch: this.idempotent, ...options }),
      ) as Promise<ReceiptPage>,

    /** The job's live events, reconnecting (with Last-Event-ID) until the stream of a final state ends. */
    events: (jobId: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> =>
      jobEvents(
        async (lastEventId, signal) => {
          const { data, error, response } = await this.raw.GET("/v1/jobs/{job_id}/events", {
            params: { path: { job_id: jobId } },
            headers: { accept: "text/event-stream", ...(lastEventId === null ? {} : { "last-event-id": lastEventId }) },
            parseAs: "stream",
            fetch: this.idempotent,
            signal,
          });
          if (!response.ok || !data) throw errorFromResponse(response, error);
          return data;
        },
        this.retryPolicy,
        options,
      ),

    /**
     * Follows the job's events (each passed to `onEvent`) until its stream ends at a final state,
     * then answers the job's view.
     */
    wait: async (jobId: string, options: JobEventsOptions & { onEvent?: (event: JobEvent) => void } = {}): Promise<JobView> => {
      const { onEvent, ...streamOptions } = options;
      for await (const event of this.jobs.events(jobId, streamOptions)) onEvent?.(event);
      // The stream can announce the final state a moment before reads of the job show it.
      for (let read = 1; ; read++) {
        const job = await this.jobs.get(jobId, { ...(options.signal ? { signal: options.signal } : {}) });
        if (isFinal(job.state) || read >= FINAL_READS) return job;
        await sleep(FINAL_READ_GAP_MS, options.signal);
      }
    },
  };

  readonly miners = {
    register: (body: RegisterMiner, options: CallOptions = {}): Promise<Registration> =>
      unwrap(this.raw.POST("/v1/miners/register", { body, fetch: this.idempotent, ...options })),

    heartbeat: (body: Heartbeat = {}, { minerId, ...options }: MinerCallOptions = {}): Promise<HeartbeatAnswer> =>
      unwrap(this.raw.POST("/v1/miners/heartbeat", { params: { header: minerHeader(minerId) }, body, fetch: this.idempotent, ...options })),

    /**
     * Long-polls for work: the jobs leased (none when nothing fitted within the wait). A retried poll
     * whose first answer was lost gets the same leases again (docs/api.md, "Redelivered jobs").
     */
    poll: async (body: Poll = {}, { minerId, ...options }: MinerCallOptions = {}): Promise<AssignedJob[]> => {
      const answer = await unwrap(
        this.raw.POST("/v1/miners/poll", { params: { header: minerHeader(minerId) }, body, fetch: this.idempotent, ...options }),
      );
      if (answer === undefined) return [];
      return "items" in answer ? answer.items : [answer];
    },

    /** Completes a job; an identical retry answers the same receipt. */
    result: (jobId: string, body: MinerResult, { minerId, traceparent, ...options }: JobReportOptions = {}): Promise<ResultAnswer> =>
      unwrap(
        this.raw.POST("/v1/miners/{job_id}/result", {
          params: { path: { job_id: jobId }, header: minerHeader(minerId) },
          headers: traceHeader(traceparent),
          body,
          fetch: this.idempotent,
          ...options,
        }),
      ),

    /** Reports a failure. Not retried after a lost answer: a repeat would be refused as LEASE_LOST. */
    fail: (jobId: string, body: MinerFailure = {}, { minerId, traceparent, ...options }: JobReportOptions = {}): Promise<FailureAnswer> =>
      unwrap(
        this.raw.POST("/v1/miners/{job_id}/fail", {
          params: { path: { job_id: jobId }, header: minerHeader(minerId) },
          headers: traceHeader(traceparent),
          body,
          fetch: this.once,
          ...options,
        }),
      ),

    drain: ({ minerId, ...options }: MinerCallOptions = {}): Promise<DrainAnswer> =>
      unwrap(this.raw.POST("/v1/miners/drain", { params: { header: minerHeader(minerId) }, fetch: this.idempotent, ...options })),

    /**
     * Reports progress and/or output of a job the miner holds; `seq` grows with each post of the
     * lease, so a retried post is answered `duplicate` and stored once. `canceled`: stop the job.
     */
    progress: (jobId: string, post: ProgressPost, { minerId, traceparent, ...options }: JobReportOptions = {}): Promise<ProgressAnswer> =>
      unwrap(
        this.raw.POST("/v1/miners/{job_id}/progress", {
          params: { path: { job_id: jobId }, header: minerHeader(minerId) },
          headers: traceHeader(traceparent),
          body: post,
          fetch: this.idempotent,
          ...options,
        }),
      ),
  };

  readonly admin = {
    stats: (options: CallOptions = {}): Promise<AdminStats> =>
      unwrap(this.raw.GET("/v1/admin/stats", { fetch: this.idempotent, ...options })),

    /** One point per minute for every region, oldest first, ending with the current minute (`minutes` 1-60, default 60). */
    statsHistory: (query: AdminStatsHistoryQuery = {}, options: CallOptions = {}): Promise<AdminStatsHistory> =>
      unwrap(this.raw.GET("/v1/admin/stats/history", { params: { query }, fetch: this.idempotent, ...options })),

    listJobs: (query: AdminListJobsQuery = {}, options: CallOptions = {}): Promise<AdminJobPage> =>
      unwrap(this.raw.GET("/v1/admin/jobs", { params: { query }, fetch: this.idempotent, ...options })),

    /** The job, its owner and its whole event history. */
    getJob: (jobId: string, options: CallOptions = {}): Promise<AdminJob> =>
      unwrap(this.raw.GET("/v1/admin/jobs/{job_id}", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options })),

    /** Cancels any client's QUEUED or RUNNING job, as its client's cancel does; cancelling again answers the same view. */
    cancelJob: (jobId: string, options: CallOptions = {}): Promise<AdminJobView> =>
      unwrap(this.raw.POST("/v1/admin/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } }, fetch: this.idempotent, ...options })),

    listMiners: (query: AdminListMinersQuery = {}, options: CallOptions = {}): Promise<MinerPage> =>
      unwrap(this.raw.GET("/v1/admin/miners", { params: { query }, fetch: this.idempotent, ...options })),

    /** The miner gets no new work (as when it drains itself) until undrained or it registers again. */
    drainMiner: (minerId: string, options: CallOptions = {}): Promise<MinerView> =>
      unwrap(
        this.raw.POST("/v1/admin/miners/{miner_id}/drain", { params: { path: { miner_id: minerId } }, fetch: this.idempotent, ...options }),
      ),

    /** Ends an admin's drain (a miner's own drain answers 409 CONFLICT_STATE). */
    undrainMiner: (minerId: string, options: CallOptions = {}): Promise<MinerView> =>
      unwrap(
        this.raw.POST("/v1/admin/miners/{miner_id}/undrain", {
          params: { path: { miner_id: minerId } },
          fetch: this.idempotent,
          ...options,
        }),
      ),

    /** Re-issues the latest receipt with the current keys. Not retried after a lost answer (each call adds a receipt). */
    reissueReceipt: (jobId: string, options: CallOptions = {}): Promise<Receipt> =>
      unwrap(
        this.raw.POST("/v1/admin/jobs/{job_id}/receipts", { params: { path: { job_id: jobId } }, fetch: this.once, ...options }),
      ) as Promise<Receipt>,

    /** Creates an API key; the key (and HMAC secret) are in this answer only. Not retried after a lost answer. */
    createKey: (body: CreateKey, options: CallOptions = {}): Promise<CreatedKey> =>
      unwrap(this.raw.POST("/v1/admin/keys", { body, fetch: this.once, ...options })),

    listKeys: (query: PageQuery = {}, options: CallOptions = {}): Promise<ApiKeyPage> =>
      unwrap(this.raw.GET("/v1/admin/keys", { params: { query }, fetch: this.idempotent, ...options })),

    revokeKey: (keyId: string, options: CallOptions = {}): Promise<ApiKeyView> =>
      unwrap(this.raw.DELETE("/v1/admin/keys/{key_id}", { params: { path: { key_id: keyId } }, fetch: this.idempotent, ...options })),
  };

  readonly receipts = {
    /** GET /v1/receipts/keys: the keys a verifier may trust. */
    keys: (options: CallOptions = {}): Promise<PublishedKeys> =>
      unwrap(this.raw.GET("/v1/receipts/keys", { fetch: this.idempotent, ...options })),

    /** Verifies here, against the published keys (fetched unless given). */
    verify: async (document: unknown, options: CallOptions & { keys?: PublishedKeys } = {}): Promise<VerifyResult> =>
      verifyReceiptDocument(document, options.keys ?? (await this.receipts.keys(options))),

    /** Asks the coordinator to verify (POST /v1/receipts/verify). */
    verifyRemotely: (document: unknown, options: CallOptions = {}): Promise<Verdict> =>
      unwrap(this.raw.POST("/v1/receipts/verify", { body: document, fetch: this.idempotent, ...options })),
  };
}

function minerHeader(minerId: string | undefined): { "x-miner-id"?: string } {
  return minerId === undefined ? {} : { "x-miner-id": minerId };
}

function traceHeader(traceparent: string | undefined): Record<string, string> {
  return traceparent === undefined ? {} : { traceparent };
}

async function* pages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const { items, next_cursor } = await page(cursor);
    yield* items;
    cursor = next_cursor ?? undefined;
  } while (cursor !== undefined);
}
