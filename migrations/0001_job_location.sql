ALTER TABLE `jobs` ADD `queued_region` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `queued_shard` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `ran_region` text;