// D1 is the system of record that clients and admins read. Rows reach it from the region
// Durable Objects through their outbox; `version` on jobs and miners guards every upsert so a
// retried or reordered flush can never move a row backwards.
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Receipt } from "../model/receipt";

export const jobs = sqliteTable(
  "jobs",
  {
    jobId: text("job_id").primaryKey(),
    clientId: text("client_id").notNull(),
    region: text("region").notNull(),
    state: text("state").notNull(),
    priority: integer("priority").notNull(),
    constraints: text("constraints", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error", { mode: "json" }).$type<{ code: string; message: string }>(),
    ttlSeconds: integer("ttl_seconds").notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    attempts: integer("attempts").notNull(),
    assignedMinerId: text("assigned_miner_id"),
    leaseId: text("lease_id"),
    requestedAt: integer("requested_at").notNull(),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    expiresAt: integer("expires_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    version: integer("version").notNull(),
    /** The shard that holds the job now (spilling and stealing move queued jobs); null before sharding. */
    queuedRegion: text("queued_region"),
    queuedShard: integer("queued_shard"),
    /** The region of the shard that leased the job last. */
    ranRegion: text("ran_region"),
    /** The W3C trace the job's submit started or continued: every step of the job is a span of it. */
    traceId: text("trace_id"),
  },
  (t) => [
    index("jobs_client_requested_idx").on(t.clientId, t.requestedAt, t.jobId),
    index("jobs_requested_idx").on(t.requestedAt, t.jobId),
    index("jobs_state_region_idx").on(t.state, t.region),
    index("jobs_miner_idx").on(t.assignedMinerId),
  ],
);

export const jobEvents = sqliteTable(
  "job_events",
  {
    jobId: text("job_id").notNull(),
    seq: integer("seq").notNull(),
    type: text("type").notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    at: integer("at").notNull(),
    minerId: text("miner_id"),
    leaseId: text("lease_id"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The job's trace, and the span of the request that caused the step (a fresh span for a timer's). */
    traceId: text("trace_id"),
    spanId: text("span_id"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

export const miners = sqliteTable(
  "miners",
  {
    minerId: text("miner_id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    region: text("region").notNull(),
    status: text("status").notNull(),
    capabilities: text("capabilities", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    concurrency: integer("concurrency").notNull(),
    reported: text("reported", { mode: "json" }).$type<Record<string, unknown>>(),
    registeredAt: integer("registered_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [index("miners_owner_idx").on(t.ownerId), index("miners_status_region_idx").on(t.status, t.region)],
);

export const minerSessions = sqliteTable(
  "miner_sessions",
  {
    sessionToken: text("session_token").primaryKey(),
    minerId: text("miner_id").notNull(),
    region: text("region").notNull(),
    registeredAt: integer("registered_at").notNull(),
  },
  (t) => [index("miner_sessions_miner_idx").on(t.minerId)],
);

export const workerSessions = sqliteTable(
  "worker_sessions",
  {
    leaseId: text("lease_id").primaryKey(),
    minerId: text("miner_id").notNull(),
    jobId: text("job_id").notNull(),
    attempt: integer("attempt").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    exitReason: text("exit_reason"),
  },
  (t) => [index("worker_sessions_job_idx").on(t.jobId), index("worker_sessions_miner_idx").on(t.minerId)],
);

export const receipts = sqliteTable(
  "receipts",
  {
    receiptId: text("receipt_id").primaryKey(),
    jobId: text("job_id").notNull(),
    seq: integer("seq").notNull(),
    keyId: text("key_id").notNull(),
    issuedAt: integer("issued_at").notNull(),
    body: text("body", { mode: "json" }).$type<Receipt>().notNull(),
  },
  (t) => [uniqueIndex("receipts_job_seq_idx").on(t.jobId, t.seq)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    keyId: text("key_id").primaryKey(),
    keyHash: text("key_hash").notNull(),
    principalId: text("principal_id").notNull(),
    role: text("role").notNull(),
    name: text("name").notNull(),
    source: text("source").notNull(),
    hmacSecret: text("hmac_secret"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash)],
);

export const idempotencyRecords = sqliteTable(
  "idempotency_records",
  {
    principalId: text("principal_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    jobId: text("job_id").notNull(),
    region: text("region").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.principalId, t.idempotencyKey] })],
);

export const settlements = sqliteTable(
  "settlements",
  {
    settlementId: text("settlement_id").primaryKey(),
    receiptId: text("receipt_id").notNull(),
    jobId: text("job_id").notNull(),
    provider: text("provider").notNull(),
    client: text("client").notNull(),
    amount: real("amount").notNull(),
    unitType: text("unit_type").notNull(),
    units: real("units").notNull(),
    status: text("status").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("settlements_receipt_idx").on(t.receiptId)],
);

export type JobRow = typeof jobs.$inferSelect;
export type JobEventRow = typeof jobEvents.$inferSelect;
export type MinerRow = typeof miners.$inferSelect;
export type MinerSessionRow = typeof minerSessions.$inferSelect;
export type WorkerSessionRow = typeof workerSessions.$inferSelect;
export type ReceiptRow = typeof receipts.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type IdempotencyRow = typeof idempotencyRecords.$inferSelect;
export type SettlementRow = typeof settlements.$inferSelect;
