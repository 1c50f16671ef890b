// A job's live events (GET /v1/jobs/{job_id}/events) as an async iterator over a fetch stream.
// A stream that ends or drops before the job reached a final state is opened again, with
// Last-Event-ID when the server gave event ids, so the caller sees one unbroken sequence; the
// iterator ends after the stream of a final state closes.
import type { StreamMessage } from "../src/queue/job-stream";
import { ConnectionError } from "./errors";
import { backoffDelayMs, type RetryPolicy, sleep } from "./retry";
import { SseParser } from "./sse";
import { isFinal, type JobState } from "./types";

/** One event of a job's stream (the coordinator's own message type), with its SSE id (null when it sent none). */
export type JobEvent = StreamMessage & { id: string | null };

const EVENT_TYPES: ReadonlySet<string> = new Set<JobEvent["type"]>(["state.changed", "result.ready", "job.progress", "output.chunk"]);

/** Opens the stream, resuming after `lastEventId` when given; throws CoordinatorError for an error answer. */
export type OpenStream = (lastEventId: string | null, signal: AbortSignal | undefined) => Promise<ReadableStream<Uint8Array>>;

export interface JobEventsOptions {
  signal?: AbortSignal;
  /** Only events after this id: the last id of a stream read before, or "0" for the job's whole history. */
  lastEventId?: string;
}

export async function* jobEvents(open: OpenStream, policy: RetryPolicy, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> {
  const { signal } = options;
  let lastEventId = options.lastEventId ?? null;
  let lastState: JobState | null = null;
  let drops = 0;
  for (;;) {
    const stream = await open(lastEventId, signal);
    const parser = new SseParser(lastEventId);
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let final = false;
    let first = true;
    try {
      for (let done = false; !done; ) {
        let chunk: Uint8Array | undefined;
        try {
          ({ done, value: chunk } = await reader.read());
        } catch (error) {
          if (signal?.aborted) throw error;
          break; // dropped: open again below
        }
        for (const message of parser.push(decoder.decode(chunk, { stream: !done }))) {
          lastEventId = message.lastEventId;
          const event = readEvent(message.data, message.lastEventId);
          if (!event) continue;
          const repeat = first && lastState !== null && event.type === "state.changed" && event.state === lastState;
          first = false;
          // Without event ids a new stream starts again with the current state: not news.
          if (repeat && event.id === null) continue;
          drops = 0;
          if (event.type === "state.changed") {
            lastState = event.state;
            final ||= isFinal(event.state);
          }
          yield event;
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (final) return;
    if (++drops > policy.retries) {
      throw new ConnectionError(`the event stream dropped ${drops} times in a row before the job reached a final state`);
    }
    await sleep(parser.retryMs ?? backoffDelayMs(drops - 1, policy), signal);
  }
}

function readEvent(data: string, id: string | null): JobEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const type = (parsed as { type?: unknown }).type;
  return typeof type === "string" && EVENT_TYPES.has(type) ? ({ ...parsed, id } as JobEvent) : undefined;
}
