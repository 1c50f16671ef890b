// Live updates for one job, as server-sent events or WebSocket messages: `state.changed` for the
// state it is in and every change after, `result.ready` once it completes; the stream (or socket)
// ends when the job reaches a final state.
import { toIso } from "../lib/time";
import type { JobEvent, JobState } from "../model/job";
import { isFinal } from "../model/job";

export interface StreamEvent {
  type: "state.changed" | "result.ready";
  job_id: string;
  state: JobState;
  at: string;
  event?: string;
  attempt?: number;
  miner_id?: string | null;
}

const encoder = new TextEncoder();

export function sseFrame(event: StreamEvent): Uint8Array {
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** The frames a job's current state (or one of its transitions) produces, in order. */
export function framesFor(jobId: string, state: JobState, at: number, transition?: JobEvent): StreamEvent[] {
  const changed: StreamEvent = {
    type: "state.changed",
    job_id: jobId,
    state,
    at: toIso(at)!,
    ...(transition ? { event: transition.type, miner_id: transition.minerId } : {}),
  };
  return state === "COMPLETED" ? [changed, { type: "result.ready", job_id: jobId, state, at: toIso(at)! }] : [changed];
}

/** Subscribers per job inside one region DO. Writers that fail (the client went away) are dropped. */
export class JobWatchers {
  private readonly writers = new Map<string, Set<WritableStreamDefaultWriter<Uint8Array>>>();

  open(jobId: string, state: JobState, at: number): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const frame of framesFor(jobId, state, at)) void writer.write(sseFrame(frame)).catch(() => {});
    if (isFinal(state)) void writer.close().catch(() => {});
    else {
      const set = this.writers.get(jobId) ?? new Set();
      set.add(writer);
      this.writers.set(jobId, set);
    }
    return readable;
  }

  publish(events: readonly JobEvent[], socketsOf: (jobId: string) => WebSocket[]): void {
    for (const event of events) {
      for (const socket of socketsOf(event.jobId))
        sendFrames(socket, framesFor(event.jobId, event.toState, event.at, event), isFinal(event.toState));
      const set = this.writers.get(event.jobId);
      if (!set) continue;
      for (const writer of set) {
        for (const frame of framesFor(event.jobId, event.toState, event.at, event)) {
          void writer.write(sseFrame(frame)).catch(() => set.delete(writer));
        }
        if (isFinal(event.toState)) void writer.close().catch(() => {});
      }
      if (isFinal(event.toState) || set.size === 0) this.writers.delete(event.jobId);
    }
  }
}

/**
 * The code that answers a client's close frame: its own when a close frame may carry it (1000, or
 * 3000-4999 for applications), else 1000. 1005 (the frame had no code) and 1006 (the connection
 * dropped without a frame) only describe a close: close() refuses to send them.
 */
export function closeReplyCode(received: number): number {
  return received === 1000 || (received >= 3000 && received <= 4999) ? received : 1000;
}

/** Sends frames as WebSocket text messages, closing the socket after the last one when asked. */
export function sendFrames(socket: WebSocket, frames: readonly StreamEvent[], close: boolean): void {
  try {
    for (const frame of frames) socket.send(JSON.stringify(frame));
    if (close) socket.close(1000, "job finished");
  } catch {
    // The client already went away; nothing to tell it.
  }
}
