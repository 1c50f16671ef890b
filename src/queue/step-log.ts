// One log line per job step, written once the step has committed: the job's trace, and the trace of
// the request that caused the step when that is not the job's own (a submit that woke a parked poll).
import type { Logger } from "../lib/log";
import type { Decision } from "./region-queue";

export function logJobSteps(log: Logger, shard: string | undefined, decisions: readonly Decision[]): void {
  if (!log.wants("info")) return;
  for (const { event, causeTraceId } of decisions) {
    log.info("job step", {
      shard,
      job_id: event.jobId,
      step: event.type,
      from_state: event.fromState,
      to_state: event.toState,
      miner_id: event.minerId,
      trace_id: event.traceId,
      span_id: event.spanId,
      cause_trace_id: causeTraceId ?? undefined,
    });
  }
}
