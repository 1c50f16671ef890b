// Streams one job's progress and output to the coordinator while the job runs: updates are batched,
// sent one at a time in order, each with the next sequence number, and a failed send is retried with
// the same number and body, so a retry the coordinator already took changes nothing.
import { setTimeout as sleep } from "node:timers/promises";
import { Backoff } from "./backoff";

export interface ProgressUpdate {
  seq: number;
  progress?: number;
  message?: string;
  output?: string;
}

/** How the coordinator took one update. */
export type ProgressAnswer =
  /** Taken; `canceled` says the job was cancelled meanwhile. */
  | { kind: "ok"; canceled: boolean }
  /** Not taken for now (no connection, 5xx, 429): send the same update again. */
  | { kind: "retry"; afterMs?: number }
  /** The job is no longer this miner's (lease lost, job unknown). */
  | { kind: "gone" }
  /** The coordinator takes no more updates of this job (no progress route, or the job's limit reached): run on without them. */
  | { kind: "refused" };

export type SendProgress = (update: ProgressUpdate) => Promise<ProgressAnswer>;

/**
 * Spaces the progress posts of all of a miner's jobs at least `intervalMs` apart: posts count against
 * the key's rate limit like every call, and must leave room for polls, heartbeats and results.
 */
export class Pacer {
  private readonly intervalMs: number;
  private nextAt = 0;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Resolves when the caller may send (rejects if `signal` aborts first). */
  async turn(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (at > now) await sleep(at - now, undefined, { signal });
  }
}

export interface ProgressReporterSettings {
  /** Called once when an answer says the job is cancelled or no longer this miner's. */
  onStop(why: "canceled" | "gone"): void;
  /** Shared by the miner's reporters; default: one of this reporter's own, PROGRESS_INTERVAL_MS. */
  pacer?: Pacer;
  /** Updates that arrive within this long of each other go in one request. */
  batchMs?: number;
  /** The most output text in one update, in UTF-8 bytes. */
  maxChunkBytes?: number;
  /** Output held beyond this while the coordinator cannot be reached is dropped, with a note. */
  maxPendingBytes?: number;
  backoff?: Backoff;
}

export const MAX_OUTPUT_CHUNK_BYTES = 64 * 1024;
/** A miner's progress posts, all jobs together, are at least this far apart (5 a second). */
export const PROGRESS_INTERVAL_MS = 200;
/** The longest message the coordinator takes, in UTF-8 bytes; a longer one is cut. */
export const MAX_MESSAGE_BYTES = 1024;

/** A byte inside a UTF-8 character, not the first of one. */
const isContinuationByte = (byte: number) => (byte & 0xc0) === 0x80;

/** The longest head of `text` of at most `maxBytes` UTF-8 bytes that ends on a character boundary, and the rest. */
export function splitChunk(text: string, maxBytes: number): [string, string] {
  if (Buffer.byteLength(text) <= maxBytes) return [text, ""];
  const bytes = Buffer.from(text, "utf8");
  let cut = maxBytes;
  while (cut > 0 && isContinuationByte(bytes[cut]!)) cut--; // never inside a character
  return [bytes.subarray(0, cut).toString("utf8"), bytes.subarray(cut).toString("utf8")];
}

export class ProgressReporter {
  private readonly send: SendProgress;
  private readonly settings: Required<Omit<ProgressReporterSettings, "backoff" | "pacer">>;
  private readonly backoff: Backoff;
  private readonly pacer: Pacer;
  private readonly stopped = new AbortController();
  private seq = 0;
  private pendingOutput = "";
  private dropped = 0;
  private fraction: number | undefined;
  private message: string | undefined;
  private sentFraction: number | undefined;
  private sentMessage: string | undefined;
  private pump: Promise<void> | undefined;
  private finishing = false;

  constructor(send: SendProgress, settings: ProgressReporterSettings) {
    this.send = send;
    this.settings = { batchMs: 100, maxChunkBytes: MAX_OUTPUT_CHUNK_BYTES, maxPendingBytes: 4 * 1024 * 1024, ...settings };
    this.backoff = settings.backoff ?? new Backoff({ baseMs: 250, maxMs: 5_000 });
    this.pacer = settings.pacer ?? new Pacer(PROGRESS_INTERVAL_MS);
  }

  progress(fraction: number, message?: string): void {
    this.fraction = Math.min(1, Math.max(0, fraction));
    if (message !== undefined) this.message = splitChunk(message, MAX_MESSAGE_BYTES)[0];
    this.schedule();
  }

  output(text: string): void {
    if (!text) return;
    this.pendingOutput += text;
    const bytes = Buffer.from(this.pendingOutput, "utf8");
    let cut = bytes.length - this.settings.maxPendingBytes;
    if (cut > 0) {
      while (cut < bytes.length && isContinuationByte(bytes[cut]!)) cut++; // drop whole characters only
      this.dropped += cut;
      this.pendingOutput = bytes.subarray(cut).toString("utf8");
    }
    this.schedule();
  }

  /** Sends whatever is pending without waiting to batch; resolves when it is sent or reporting has stopped. */
  async finish(): Promise<void> {
    this.finishing = true;
    this.schedule();
    while (this.pump) await this.pump;
  }

  /** Stops at once; whatever is pending is not sent. */
  abandon(): void {
    this.stopped.abort();
  }

  private hasPending(): boolean {
    return this.pendingOutput !== "" || this.dropped > 0 || this.fraction !== this.sentFraction || this.message !== this.sentMessage;
  }

  private schedule(): void {
    if (this.pump || this.stopped.signal.aborted || !this.hasPending()) return;
    this.pump = this.run().finally(() => {
      this.pump = undefined;
      if (this.finishing) this.schedule();
    });
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    try {
      if (!this.finishing) await sleep(this.settings.batchMs, undefined, { signal });
      while (this.hasPending() && !signal.aborted) {
        const update = this.nextUpdate();
        for (;;) {
          await this.pacer.turn(signal);
          const answer = await this.send(update);
          if (signal.aborted) return;
          if (answer.kind === "retry") {
            await sleep(answer.afterMs ?? this.backoff.next(), undefined, { signal });
            continue;
          }
          this.backoff.reset();
          if (answer.kind === "refused") this.stopped.abort();
          else if (answer.kind === "gone") this.stop("gone");
          else if (answer.canceled) this.stop("canceled");
          break;
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  private stop(why: "canceled" | "gone"): void {
    this.stopped.abort();
    this.settings.onStop(why);
  }

  /** The next update: progress and message when they changed, and the next chunk of output. */
  private nextUpdate(): ProgressUpdate {
    const update: ProgressUpdate = { seq: ++this.seq };
    if (this.fraction !== this.sentFraction) update.progress = this.sentFraction = this.fraction;
    if (this.message !== this.sentMessage) update.message = this.sentMessage = this.message;
    let text = this.pendingOutput;
    if (this.dropped > 0) {
      text = `[${this.dropped} bytes of output dropped while the coordinator was unreachable]\n${text}`;
      this.dropped = 0;
    }
    const [chunk, rest] = splitChunk(text, this.settings.maxChunkBytes);
    this.pendingOutput = rest;
    if (chunk) update.output = chunk;
    return update;
  }
}
