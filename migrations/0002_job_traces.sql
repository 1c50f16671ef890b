ALTER TABLE `job_events` ADD `trace_id` text;--> statement-breakpoint
ALTER TABLE `job_events` ADD `span_id` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `trace_id` text;