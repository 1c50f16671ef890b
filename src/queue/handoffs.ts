// Moving queued jobs between shards (stealing within a region, spilling across regions) without
// ever giving a job two writers. The giver, in one transaction, turns the job into a forwarding
// record (never offered, never changed again) and keeps a handoff row; the taker adopts it in one
// transaction of its own (idempotent: a job it already knows is left alone); the giver then drops
// the handoff row, or its alarm offers the job again until the taker has it. Between the two
// transactions nobody can lease the job; from adoption on, only the taker writes it. A job's event
// stream travels with it, so its ids go on where they stopped and a client resuming at the taker
// misses nothing; the giver drops its copy once the taker has the job.
import type { Job } from "../model/job";
import type { Capabilities } from "../model/miner";
import { jobRow } from "./d1-rows";
import { fits, pickBest } from "./matcher";
import { type ShardAddress, shardName } from "./shards";
import type { Store } from "./store";
import { type StoredEvent, storedBytes } from "./stream-log";

/** A job on its way to another shard, with its stored event stream. */
export interface Handoff {
  job: Job;
  stream: StoredEvent[];
}

/**
 * One handOver answer carries jobs until their streams pass this many bytes (at least one job), so
 * it stays far below what one RPC may carry whatever the jobs stored (MAX_PROGRESS_BYTES_PER_JOB each).
 */
const HANDOVER_STREAM_BUDGET = 4 * 1024 * 1024;

/** A miner that found nothing in its own shard, as the shard asks others on its behalf. */
export interface MinerAsk {
  region: string;
  capabilities: Capabilities;
  /** How many jobs it can take now. */
  room: number;
}

export const COUNTERS = { spilledIn: "spilled_in", stolenIn: "stolen_in", spilledOut: "spilled_out", stolenOut: "stolen_out" } as const;

export class Handoffs {
  constructor(
    private readonly store: Store,
    private readonly here: ShardAddress,
  ) {}

  /**
   * Marks up to each ask's room of the best fitting queued jobs as handed to `to`, best first, and
   * returns them. `requestedBy`: only jobs requested then or earlier (spilling waits SPILL_AFTER).
   */
  handOver(asks: readonly MinerAsk[], to: ShardAddress, requestedBy: number, now: number): Handoff[] {
    const target = shardName(to);
    const given: Handoff[] = [];
    const classes = this.store.queueClasses();
    let streamBytes = 0;
    for (const ask of asks) {
      const fitting = classes.filter((c) => fits(c.constraints, ask));
      for (let i = 0; i < ask.room && streamBytes < HANDOVER_STREAM_BUDGET; i++) {
        const next = pickBest(fitting.map((c) => this.store.headOfClass(c.classKey, now, requestedBy)).filter((j): j is Job => j !== null));
        if (!next) break;
        this.store.putJob({ ...next, movedTo: target, updatedAt: now });
        this.store.handoffs.add(next, target, now);
        const handoff = { job: next, stream: this.store.stream.export(next.jobId) };
        streamBytes += storedBytes(handoff.stream);
        given.push(handoff);
      }
    }
    this.store.addToCounter(to.region === this.here.region ? COUNTERS.stolenOut : COUNTERS.spilledOut, given.length);
    return given;
  }

  /** Takes over jobs another shard handed here; a job this shard already holds (a repeat) is skipped. */
  adopt(handoffs: readonly Handoff[], now: number): Job[] {
    const adopted: Job[] = [];
    for (const { job, stream } of handoffs) {
      const known = this.store.getJob(job.jobId);
      // A forwarding record of an older version is this job coming back; anything else is a repeat.
      if (known && !(known.movedTo && known.version < job.version)) continue;
      const { movedTo: _, ...live } = job;
      const here: Job = { ...live, queuedRegion: this.here.region, queuedShard: this.here.shard, version: job.version + 1, updatedAt: now };
      this.store.putJob(here);
      this.store.stream.import(job.jobId, stream);
      // With the payload: the origin's first row may not have reached D1 yet.
      this.store.outbox.append([{ kind: "job", row: jobRow(here), payload: here.payload }]);
      this.store.addToCounter((job.queuedRegion ?? job.region) === this.here.region ? COUNTERS.stolenIn : COUNTERS.spilledIn, 1);
      adopted.push(here);
    }
    return adopted;
  }
}
