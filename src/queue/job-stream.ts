// A job's event stream, as server-sent events or WebSocket text messages: `state.changed` for the
// state the job enters (`result.ready` after it once it completes), `job.progress` and
// `output.chunk` for what its miner posts. Every message has its place in the job's one id
// sequence, so a client that reconnects names the last id it got and misses nothing. The stream
// (or socket) ends when the job reaches a final state.
import { toIso } from "../lib/time";
import type { JobEvent, JobState } from "../model/job";
import { isFinal } from "../model/job";

interface StateMessage {
  type: "state.changed" | "result.ready";
  job_id: string;
  state: JobState;
  at: string;
  event?: string;
  miner_id?: string | null;
}

interface ProgressMessage {
  type: "job.progress";
  job_id: string;
  at: string;
  /** The attempt the post belongs to (a job that lost its lease runs again as the next attempt). */
  attempt: number;
  seq: number;
  progress: number | null;
  message: string | null;
}

interface ChunkMessage {
  type: "output.chunk";
  job_id: string;
  at: string;
  attempt: number;
  seq: number;
  data: string;
}

export type StreamMessage = StateMessage | ProgressMessage | ChunkMessage;
export type StreamEventType = StreamMessage["type"];

/** One message ready to send: `text` is its JSON; the stream ends after an entry that `ends` it. */
export interface StreamEntry {
  jobId: string;
  /** Its place in the job's sequence, from 1; null only for a finished job its region has forgotten. */
  id: number | null;
  type: StreamEventType;
  text: string;
  ends: boolean;
}

export function streamEntry(jobId: string, id: number | null, message: StreamMessage): StreamEntry {
  return { jobId, id, type: message.type, text: JSON.stringify(id === null ? message : { id, ...message }), ends: endsStream(message) };
}

/** An entry as stored (see stream-log.ts): its JSON as it was sent. */
export function storedEntry(jobId: string, id: number, type: StreamEventType, text: string): StreamEntry {
  const ends = type === "result.ready" || (type === "state.changed" && endsStream(JSON.parse(text) as StreamMessage));
  return { jobId, id, type, text, ends };
}

/** The last message of a final state: result.ready after COMPLETED, else the state change itself. */
function endsStream(message: StreamMessage): boolean {
  if (message.type === "result.ready") return true;
  return message.type === "state.changed" && isFinal(message.state) && message.state !== "COMPLETED";
}

/** The messages of a state the job is in (or entered through `transition`); the last ends the stream when it is final. */
export function stateMessages(
  jobId: string,
  state: JobState,
  at: number,
  transition?: Pick<JobEvent, "type" | "minerId">,
): StreamMessage[] {
  const changed: StateMessage = {
    type: "state.changed",
    job_id: jobId,
    state,
    at: toIso(at)!,
    ...(transition ? { event: transition.type, miner_id: transition.minerId } : {}),
  };
  return state === "COMPLETED" ? [changed, { type: "result.ready", job_id: jobId, state, at: toIso(at)! }] : [changed];
}

/**
 * What a client that asks for no earlier events gets first: the state the job is in, labelled with
 * the id of the latest event (it sums them up), so a resume from it misses nothing that follows.
 */
export function currentStateEntries(jobId: string, state: JobState, at: number, latestId: number | null): StreamEntry[] {
  return stateMessages(jobId, state, at).map((m) => streamEntry(jobId, latestId, m));
}

const encoder = new TextEncoder();

export function sseFrame(entry: StreamEntry): Uint8Array {
  return encoder.encode(`${entry.id === null ? "" : `id: ${entry.id}\n`}event: ${entry.type}\ndata: ${entry.text}\n\n`);
}

/** Subscribers per job inside one region DO. Writers that fail (the client went away) are dropped. */
export class JobWatchers {
  private readonly writers = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();

  /** A server-sent event stream that starts with `opening` and then follows the job live (unless it already ended). */
  open(jobId: string, opening: readonly StreamEntry[], ended: boolean): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const entry of opening) void writer.write(sseFrame(entry)).catch(() => {});
    if (ended) void writer.close().catch(() => {});
    else {
      const set = this.writers.get(jobId) ?? new Set();
      set.add(writer);
      this.writers.set(jobId, set);
    }
    return readable;
  }

  publish(entries: readonly StreamEntry[], socketsOf: (jobId: string) => WebSocket[]): void {
    for (const entry of entries) {
      for (const socket of socketsOf(entry.jobId)) sendEntries(socket, [entry]);
      const set = this.writers.get(entry.jobId);
      if (!set) continue;
      for (const writer of set) {
        void writer.write(sseFrame(entry)).catch(() => set.delete(writer));
        if (entry.ends) void writer.close().catch(() => {});
      }
      if (entry.ends || set.size === 0) this.writers.delete(entry.jobId);
    }
  }

  /**
   * The jobs moved to another shard: their streams here end before a final state, and their
   * clients reconnect with the last id they got (the Worker finds the job where it is now).
   */
  endMoved(jobIds: readonly string[], socketsOf: (jobId: string) => WebSocket[]): void {
    for (const jobId of jobIds) {
      for (const socket of socketsOf(jobId)) closeSocket(socket, MOVED_CLOSE_CODE, "job moved; reconnect with after=<last id>");
      for (const writer of this.writers.get(jobId) ?? []) void writer.close().catch(() => {});
      this.writers.delete(jobId);
    }
  }
}

/** Service Restart: the conventional "reconnect" close code. */
export const MOVED_CLOSE_CODE = 1012;

/**
 * The code that answers a client's close frame: its own when a close frame may carry it (1000, or
 * 3000-4999 for applications), else 1000. 1005 (the frame had no code) and 1006 (the connection
 * dropped without a frame) only describe a close: close() refuses to send them.
 */
export function closeReplyCode(received: number): number {
  return received === 1000 || (received >= 3000 && received <= 4999) ? received : 1000;
}

/** Sends entries as WebSocket text messages; closes the socket after one that ends the stream, or after all when `close`. */
export function sendEntries(socket: WebSocket, entries: readonly StreamEntry[], close = false): void {
  try {
    for (const entry of entries) socket.send(entry.text);
    if (close || entries.some((e) => e.ends)) socket.close(1000, "job finished");
  } catch {
    // The client already went away; nothing to tell it.
  }
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closed.
  }
}
