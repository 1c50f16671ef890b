import { describe, expect, it } from "vitest";
import { SseParser } from "../../../sdk/sse";

const all = (parser: SseParser, ...chunks: string[]) => chunks.flatMap((chunk) => parser.push(chunk));

describe("SseParser", () => {
  it("reads events, data and ids, and keeps the last id for later events", () => {
    const parser = new SseParser();
    expect(all(parser, 'event: state.changed\nid: 7\ndata: {"a":1}\n\n', "data: x\n\n")).toEqual([
      { event: "state.changed", data: '{"a":1}', lastEventId: "7" },
      { event: "message", data: "x", lastEventId: "7" },
    ]);
  });

  it("joins data lines, skips comments and events without data, and accepts CR, LF and CRLF", () => {
    const parser = new SseParser();
    expect(all(parser, ": keep-alive\r\ndata: one\r\ndata:two\rdata:  three\n\nevent: empty\n\n")).toEqual([
      { event: "message", data: "one\ntwo\n three", lastEventId: null },
    ]);
  });

  it("waits for the rest of a line, and of a CRLF, across chunks", () => {
    const parser = new SseParser();
    expect(parser.push("da")).toEqual([]);
    expect(parser.push("ta: split\r")).toEqual([]);
    expect(parser.push("\n\r")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "message", data: "split", lastEventId: null }]);
  });

  it("strips a leading byte order mark, starts from a given id, and reads retry", () => {
    const parser = new SseParser("41");
    expect(all(parser, "\ufeffretry: 1500\ndata: d\n\n")).toEqual([{ event: "message", data: "d", lastEventId: "41" }]);
    expect(parser.retryMs).toBe(1500);
    parser.push("retry: soon\n\n");
    expect(parser.retryMs).toBe(1500);
  });

  it("ignores an id holding NUL", () => {
    expect(all(new SseParser("1"), "id: a\0b\ndata: d\n\n")).toEqual([{ event: "message", data: "d", lastEventId: "1" }]);
  });
});
