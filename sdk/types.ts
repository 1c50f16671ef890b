// Names for the generated wire types (sdk/schema.ts), so callers never spell out components[...].
import type { components, operations } from "./schema";

export { FINAL_STATES, isFinal } from "../src/model/job";

type Schemas = components["schemas"];
type JsonBody<Op, Status extends number> = Op extends { responses: { [S in Status]: { content: { "application/json": infer Body } } } }
  ? Body
  : never;
type RequestJson<Op> = Op extends { requestBody?: { content: { "application/json": infer Body } } } ? Body : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type JobView = Schemas["JobView"];
export type JobState = JobView["state"];
export type SubmitJob = Schemas["SubmitJob"];
export type Constraints = NonNullable<Schemas["Constraints"]>;
/** A job of a batch: a submit body that may carry its own idempotency key. */
export type BatchJob = SubmitJob & { idempotency_key?: string };
export type BatchItem = JsonBody<operations["submitJobBatch"], 200>["items"][number];
export type JobPage = JsonBody<operations["listJobs"], 200>;
export type ListJobsQuery = Query<operations["listJobs"]>;
export type JobResult = JsonBody<operations["getJobResult"], 200>;
// The served document marks the Receipt schema nullable (the /result and miner result answers reuse
// it with `.nullable()`); only those two answers can hold null, which their own types still say.
export type Receipt = NonNullable<Schemas["Receipt"]>;
export type ReceiptPage = { items: Receipt[]; next_cursor: string | null };
export type PageQuery = Query<operations["listJobReceipts"]>;

export type RegisterMiner = Schemas["RegisterMiner"];
export type Capabilities = NonNullable<Schemas["Capabilities"]>;
export type Registration = JsonBody<operations["registerMiner"], 200>;
export type Heartbeat = Schemas["Heartbeat"];
export type HeartbeatAnswer = JsonBody<operations["minerHeartbeat"], 200>;
export type Poll = Schemas["Poll"];
export type AssignedJob = Schemas["AssignedJob"];
export type MinerResult = Schemas["Result"];
export type ResultAnswer = JsonBody<operations["submitResult"], 200>;
export type MinerFailure = Schemas["Failure"];
export type FailureAnswer = JsonBody<operations["submitFailure"], 200>;
export type DrainAnswer = JsonBody<operations["drainMiner"], 200>;
export type ProgressPost = Schemas["ProgressPost"];
export type ProgressAnswer = JsonBody<operations["postProgress"], 200>;

export type AdminStats = JsonBody<operations["adminStats"], 200>;
export type AdminStatsHistory = JsonBody<operations["adminStatsHistory"], 200>;
export type AdminStatsHistoryQuery = Query<operations["adminStatsHistory"]>;
export type HistoryPoint = Schemas["HistoryPoint"];
export type AdminJobPage = JsonBody<operations["adminListJobs"], 200>;
export type AdminListJobsQuery = Query<operations["adminListJobs"]>;
export type AdminJob = JsonBody<operations["adminGetJob"], 200>;
export type AdminJobView = Schemas["AdminJobView"];
export type MinerView = Schemas["MinerView"];
export type MinerPage = JsonBody<operations["adminListMiners"], 200>;
export type AdminListMinersQuery = Query<operations["adminListMiners"]>;
export type CreateKey = RequestJson<operations["adminCreateKey"]>;
export type CreatedKey = JsonBody<operations["adminCreateKey"], 201>;
export type ApiKeyView = Schemas["ApiKeyView"];
export type ApiKeyPage = JsonBody<operations["adminListKeys"], 200>;

export type Health = JsonBody<operations["health"], 200>;
export type PublishedKey = Schemas["PublishedKey"];
export type PublishedKeys = JsonBody<operations["listReceiptKeys"], 200>;
export type Verdict = JsonBody<operations["verifyReceipt"], 200>;

/** The one error shape of every 4xx and 5xx answer. */
export type ErrorBody = Schemas["Error"];
/** Every error code the coordinator documents, from the per-status error schemas (Error404, Error404JobNotFound, …). */
export type ErrorCode = NonNullable<Schemas[Extract<keyof Schemas, `Error${number}${string}`>]["error"]>["code"];
