CREATE TABLE `api_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`key_hash` text NOT NULL,
	`principal_id` text NOT NULL,
	`role` text NOT NULL,
	`name` text NOT NULL,
	`source` text NOT NULL,
	`hmac_secret` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`principal_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`job_id` text NOT NULL,
	`region` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`principal_id`, `idempotency_key`)
);
--> statement-breakpoint
CREATE TABLE `job_events` (
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`from_state` text,
	`to_state` text NOT NULL,
	`at` integer NOT NULL,
	`miner_id` text,
	`lease_id` text,
	`detail` text,
	PRIMARY KEY(`job_id`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`region` text NOT NULL,
	`state` text NOT NULL,
	`priority` integer NOT NULL,
	`constraints` text NOT NULL,
	`payload` text NOT NULL,
	`result` text,
	`error` text,
	`ttl_seconds` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`attempts` integer NOT NULL,
	`assigned_miner_id` text,
	`lease_id` text,
	`requested_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_client_requested_idx` ON `jobs` (`client_id`,`requested_at`,`job_id`);--> statement-breakpoint
CREATE INDEX `jobs_requested_idx` ON `jobs` (`requested_at`,`job_id`);--> statement-breakpoint
CREATE INDEX `jobs_state_region_idx` ON `jobs` (`state`,`region`);--> statement-breakpoint
CREATE INDEX `jobs_miner_idx` ON `jobs` (`assigned_miner_id`);--> statement-breakpoint
CREATE TABLE `miner_sessions` (
	`session_token` text PRIMARY KEY NOT NULL,
	`miner_id` text NOT NULL,
	`region` text NOT NULL,
	`registered_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `miner_sessions_miner_idx` ON `miner_sessions` (`miner_id`);--> statement-breakpoint
CREATE TABLE `miners` (
	`miner_id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`region` text NOT NULL,
	`status` text NOT NULL,
	`capabilities` text NOT NULL,
	`concurrency` integer NOT NULL,
	`reported` text,
	`registered_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `miners_owner_idx` ON `miners` (`owner_id`);--> statement-breakpoint
CREATE INDEX `miners_status_region_idx` ON `miners` (`status`,`region`);--> statement-breakpoint
CREATE TABLE `receipts` (
	`receipt_id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`seq` integer NOT NULL,
	`key_id` text NOT NULL,
	`issued_at` integer NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `receipts_job_seq_idx` ON `receipts` (`job_id`,`seq`);--> statement-breakpoint
CREATE TABLE `settlements` (
	`settlement_id` text PRIMARY KEY NOT NULL,
	`receipt_id` text NOT NULL,
	`job_id` text NOT NULL,
	`provider` text NOT NULL,
	`client` text NOT NULL,
	`amount` real NOT NULL,
	`unit_type` text NOT NULL,
	`units` real NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `settlements_receipt_idx` ON `settlements` (`receipt_id`);--> statement-breakpoint
CREATE TABLE `worker_sessions` (
	`lease_id` text PRIMARY KEY NOT NULL,
	`miner_id` text NOT NULL,
	`job_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`exit_reason` text
);
--> statement-breakpoint
CREATE INDEX `worker_sessions_job_idx` ON `worker_sessions` (`job_id`);--> statement-breakpoint
CREATE INDEX `worker_sessions_miner_idx` ON `worker_sessions` (`miner_id`);