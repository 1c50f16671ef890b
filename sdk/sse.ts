// A server-sent events parser (the WHATWG "event stream" format), fed text as it arrives.

export interface SseMessage {
  /** The `event:` field, "message" when absent. */
  event: string;
  data: string;
  /** The last `id:` seen so far in the stream (ids persist across messages), or null. */
  lastEventId: string | null;
}

export class SseParser {
  private buffer = "";
  private sawFirstChunk = false;
  private event = "";
  private data: string[] = [];
  private lastEventId: string | null;
  /** The last `retry:` field: how long the server asks a client to wait before reconnecting (ms). */
  retryMs: number | undefined;

  constructor(lastEventId: string | null = null) {
    this.lastEventId = lastEventId;
  }

  /** The messages completed by this chunk of text. */
  push(chunk: string): SseMessage[] {
    let text = this.buffer + chunk;
    if (!this.sawFirstChunk && text.length > 0) {
      this.sawFirstChunk = true;
      if (text.startsWith("\ufeff")) text = text.slice(1);
    }
    const messages: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const cr = text.indexOf("\r", start);
      const lf = text.indexOf("\n", start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (end === cr && cr === text.length - 1) break;
      const next = end === cr && text[cr + 1] === "\n" ? cr + 2 : end + 1;
      const message = this.line(text.slice(start, end));
      if (message) messages.push(message);
      start = next;
    }
    this.buffer = text.slice(start);
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const { event, data } = this;
    this.event = "";
    this.data = [];
    if (data.length === 0) return undefined;
    return { event: event || "message", data: data.join("\n"), lastEventId: this.lastEventId };
  }
}
