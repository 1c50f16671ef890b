// Sends a region DO's outbox to D1 after each change, one flush at a time: a flush waits for the one
// before it, so D1 gets the changes in the order they committed. A flush never rejects: one that fails
// (D1, or the DO's own storage) leaves its rows for the next flush or the alarm, and the change it
// followed has committed, so that change's answer stands.
import { type OutboxWrite, writeToD1 } from "../db/writes";
import type { Logger } from "../lib/log";
import type { Outbox } from "./outbox";

// Rows per D1 batch: a full POST /v1/jobs/batch (100 jobs, 2 rows each) reaches D1 as one batch.
const OUTBOX_BATCH = 200;

export class OutboxFlusher {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly outbox: Outbox,
    /** Read at each flush: tests swap the DO's D1 binding to inject failures. */
    private readonly d1: () => D1Database,
    private readonly now: () => number,
    private readonly log: Logger,
    private readonly shard: string | undefined,
  ) {}

  /** Flushes what is pending once the flush before has ended. */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.flushPending());
    return this.chain;
  }

  private async flushPending(): Promise<void> {
    let writes: readonly OutboxWrite[] = [];
    try {
      for (let batch = this.outbox.next(OUTBOX_BATCH); batch; batch = this.outbox.next(OUTBOX_BATCH)) {
        writes = batch.writes;
        await writeToD1(this.d1(), writes);
        if (this.log.wants("debug"))
          this.log.debug("outbox flushed", { shard: this.shard, writes: writes.length, trace_ids: tracesOf(writes) });
        this.outbox.delivered(batch.through);
      }
    } catch (err) {
      let pending: number | undefined;
      try {
        this.outbox.failed(this.now());
        pending = this.outbox.size();
      } catch {
        // Storage that cannot note the failure cannot back off either: the alarm retries at its next tick.
      }
      this.log.warn("outbox flush failed; will retry", { shard: this.shard, pending, trace_ids: tracesOf(writes), error: String(err) });
    }
  }
}

/** The traces a flush carries (its job steps'), for its log line. */
function tracesOf(writes: readonly OutboxWrite[]): string {
  const traces = new Set(writes.flatMap((w) => (w.kind === "event" && w.row.traceId ? [w.row.traceId] : [])));
  return [...traces].join(",");
}
