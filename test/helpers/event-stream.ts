// Reading a job's event stream the way clients do: server-sent events frame by frame (the `id:`
// line checked against the message's own id), or WebSocket messages. Every frame and message is
// scanned for test secrets.
import { expect } from "vitest";
import { appRequest, type KeyName, openApp } from "./api";
import { scanForSecrets } from "./leak-scan";

/** A message of a job's event stream (every type's members; each type has some of them). */
export interface StreamMessage {
  id?: number;
  type: string;
  job_id: string;
  state?: string;
  event?: string;
  at: string;
  attempt?: number;
  seq?: number;
  progress?: number | null;
  message?: string | null;
  data?: string;
}

/** Reads SSE frames as they arrive; frames past what one read asked for wait for the next read. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ended = false;
  const ready: StreamMessage[] = [];
  const take = () => {
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      scanForSecrets("job event stream frame", frame);
      const lines = frame.split("\n");
      const data = lines.find((l) => l.startsWith("data: "));
      if (!data) continue;
      const message = JSON.parse(data.slice(6)) as StreamMessage;
      const idLine = lines.find((l) => l.startsWith("id: "));
      expect(idLine === undefined ? undefined : Number(idLine.slice(4))).toBe(message.id);
      expect(lines.find((l) => l.startsWith("event: "))).toBe(`event: ${message.type}`);
      ready.push(message);
    }
  };
  return {
    /** The next `count` messages, or all until the stream ends. */
    async read(count = Infinity): Promise<StreamMessage[]> {
      while (ready.length < count && !ended) {
        const { value, done } = await reader.read();
        if (done) ended = true;
        else {
          buffer += value;
          take();
        }
      }
      return ready.splice(0, Math.min(count, ready.length));
    },
    /** True once the server ended the stream. */
    get ended() {
      return ended;
    },
    /** The client goes away. */
    cancel: () => reader.cancel(),
  };
}

/**
 * Opens a job's event stream over HTTP (`query`: e.g. "?after=3"; `headers`: e.g. Last-Event-ID;
 * `jobs`: "/v1/admin/jobs" for the admin route).
 */
export async function openStream(
  jobId: string,
  options: { query?: string; headers?: Record<string, string>; key?: KeyName; jobs?: "/v1/jobs" | "/v1/admin/jobs" } = {},
) {
  const res = await openApp(
    appRequest("GET", `${options.jobs ?? "/v1/jobs"}/${jobId}/events${options.query ?? ""}`, {
      key: options.key ?? "client",
      headers: { Accept: "text/event-stream", ...options.headers },
    }),
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return sseReader(res.body!);
}

/** Opens a job's event stream as a WebSocket; `messages` fills as they arrive, `closed` settles with the close code. */
export async function openSocket(jobId: string, key: KeyName = "client", query = "") {
  const res = await openApp(appRequest("GET", `/v1/jobs/${jobId}/events${query}`, { key, headers: { Upgrade: "websocket" } }));
  const socket = res.webSocket;
  const messages: StreamMessage[] = [];
  const closed = new Promise<number>((resolve) => socket?.addEventListener("close", (e) => resolve(e.code)));
  socket?.addEventListener("message", (e) => {
    scanForSecrets("job event WebSocket message", String(e.data));
    messages.push(JSON.parse(String(e.data)));
  });
  socket?.accept();
  return { status: res.status, socket, messages, closed };
}

/** Waits (up to 2 s) until `check` holds. */
export const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};
