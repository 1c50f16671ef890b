// How the client CLI prints: human-readable lines by default, JSON with --json. Pure: each function
// answers text, the caller writes it.
import type { BatchItem, JobEvent, JobView, Receipt, VerifyResult } from "../sdk";

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

export function jobLines(job: JobView): string {
  const lines = [
    `job ${job.job_id}: ${job.state}`,
    `  priority ${job.priority}, attempts ${job.attempts}/${job.max_attempts}, region ${job.region} (queued in ${job.queued_region}:${job.queued_shard})`,
    `  requested ${job.requested_at}, expires ${job.expires_at}`,
  ];
  if (job.started_at) lines.push(`  started ${job.started_at}${job.assigned_miner_id ? ` on ${job.assigned_miner_id}` : ""}`);
  if (job.completed_at) lines.push(`  ended ${job.completed_at}`);
  if (job.error) lines.push(`  error ${job.error.code}: ${job.error.message}`);
  return lines.join("\n");
}

export function jobRow(job: JobView): string {
  return `${job.job_id}  ${job.state.padEnd(9)}  ${String(job.priority).padStart(4)}  ${job.requested_at}`;
}

export function batchLine(item: BatchItem, index: number): string {
  if (item.job) return `${index}: ${item.status} ${item.job.job_id} ${item.job.state}`;
  const error = item.error;
  return `${index}: ${item.status} ${error?.code ?? "ERROR"}: ${error?.message ?? ""}${detailsText(error?.details)}`;
}

/** One line per event of a job's stream; null for events shown another way (progress, output). */
export function eventLine(event: JobEvent): string | null {
  switch (event.type) {
    case "state.changed":
      return `${event.at}  ${event.state}${event.miner_id ? ` (${event.miner_id})` : ""}${event.event ? ` [${event.event}]` : ""}`;
    case "result.ready":
      return `${event.at}  result ready`;
    default:
      return null;
  }
}

export function receiptLines(receipt: Receipt): string {
  return [
    `receipt ${receipt.receipt_id} for job ${receipt.job_id}`,
    `  provider ${receipt.provider}, client ${receipt.client}`,
    `  ${receipt.units} ${receipt.unit_type} at ${receipt.price}, ${receipt.duration_ms} ms`,
    `  signed by ${receipt.signature.key_id}${receipt.attestations?.length ? `, ${receipt.attestations.length} attestation(s)` : ""}`,
  ].join("\n");
}

export function verdictLines(verdict: VerifyResult): string {
  return [verdict.valid ? "VALID" : "INVALID", ...verdict.reasons.map((reason) => `  - ${reason}`)].join("\n");
}

export function detailsText(details: readonly { field: string; issue: string }[] | undefined): string {
  return details?.length ? ` (${details.map((d) => `${d.field}: ${d.issue}`).join("; ")})` : "";
}
