// Numbered migrations for the region DO's own SQLite tables. Applied in order inside
// blockConcurrencyWhile at construction; the applied count lives in the _migrations table.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     job_id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     priority INTEGER NOT NULL,
     requested_at INTEGER NOT NULL,
     available_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     class_key TEXT NOT NULL,
     client_id TEXT NOT NULL,
     miner_id TEXT,
     lease_expires_at INTEGER,
     doc TEXT NOT NULL
   );
   CREATE INDEX jobs_queue ON jobs (class_key, priority DESC, requested_at, job_id) WHERE state = 'QUEUED';
   CREATE INDEX jobs_backoff ON jobs (available_at) WHERE state = 'QUEUED';
   CREATE INDEX jobs_running_by_miner ON jobs (miner_id) WHERE state = 'RUNNING';
   CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'RUNNING';
   CREATE INDEX jobs_ttl ON jobs (expires_at) WHERE state IN ('QUEUED', 'RUNNING');
   CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state IN ('COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED');
   CREATE TABLE queue_classes (class_key TEXT PRIMARY KEY, constraints TEXT NOT NULL);
   CREATE TABLE miners (
     miner_id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     last_seen_at INTEGER NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX miners_live ON miners (last_seen_at) WHERE status != 'OFFLINE';
   CREATE TABLE pending_cancels (miner_id TEXT NOT NULL, job_id TEXT NOT NULL, PRIMARY KEY (miner_id, job_id));
   CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, write TEXT NOT NULL);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Jobs record the terms of their lease (leaseTerms, see billing.ts). A job leased before this
  // migration gets them from its miner's registration as it is now; every other job gets none.
  `UPDATE jobs SET doc = json_set(doc, '$.leaseTerms', json_object(
       'price', COALESCE((SELECT json_extract(m.doc, '$.capabilities.price') FROM miners m WHERE m.miner_id = jobs.miner_id), 0),
       'gpus', MAX(1, COALESCE((SELECT json_array_length(m.doc, '$.capabilities.gpus') FROM miners m WHERE m.miner_id = jobs.miner_id), 0))))
     WHERE state = 'RUNNING';
   UPDATE jobs SET doc = json_set(doc, '$.leaseTerms', NULL) WHERE state != 'RUNNING';`,
  // Jobs count the poll answers that carried their lease and whether the miner confirmed it holds it
  // (see redelivery.ts). A lease made before this migration was delivered once and is unconfirmed.
  `UPDATE jobs SET doc = json_set(doc, '$.leaseDeliveries', CASE WHEN state = 'RUNNING' THEN 1 ELSE 0 END,
       '$.leaseConfirmed', json('false'));`,
  // Jobs handed to another shard and not yet confirmed adopted there (retried by the alarm).
  `CREATE TABLE IF NOT EXISTS handoffs (job_id TEXT PRIMARY KEY, target TEXT NOT NULL, doc TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  // Each job's event stream after its submission (see stream-log.ts): state changes, progress and
  // output, each row with the stream's head as of it. Jobs from before this migration resume from it.
  `CREATE TABLE IF NOT EXISTS job_stream (
     job_id TEXT NOT NULL,
     id INTEGER NOT NULL,
     type TEXT NOT NULL,
     text TEXT NOT NULL,
     lease_id TEXT,
     last_seq INTEGER,
     progress_bytes INTEGER NOT NULL,
     PRIMARY KEY (job_id, id)
   );`,
  // Per-minute counts of job events (by kind and duration bucket) and the depth sampled at each
  // minute's end, for the admin history (see minute-stats.ts). Shards start counting from this migration.
  `CREATE TABLE IF NOT EXISTS minute_counts (
     minute INTEGER NOT NULL,
     kind TEXT NOT NULL,
     bucket INTEGER NOT NULL,
     n INTEGER NOT NULL,
     PRIMARY KEY (minute, kind, bucket)
   ) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS minute_depths (
     minute INTEGER PRIMARY KEY,
     queued INTEGER NOT NULL,
     running INTEGER NOT NULL,
     sampled_at INTEGER NOT NULL
   );`,
  // One outbox row per change: its column `write` now holds the list of the change's writes (see
  // outbox.ts). A pending row of one write becomes a list of one.
  `UPDATE outbox SET write = json_array(json(write)) WHERE json_type(write) = 'object';`,
];

export function runDoMigrations(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _migrations").one().n;
  MIGRATIONS.slice(applied).forEach((statement, i) => {
    sql.exec(statement);
    sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", applied + i + 1, Date.now());
  });
}
