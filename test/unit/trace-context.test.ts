import { describe, expect, it } from "vitest";
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from "../../src/lib/trace-context";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("reads version 00 with the sampled flag", () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentSpanId: PARENT, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)).toEqual({ traceId: TRACE, parentSpanId: PARENT, sampled: false });
    expect(parseTraceparent(` 00-${TRACE}-${PARENT}-03 `)?.sampled).toBe(true);
  });

  it("reads a later version by its first four fields", () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-comes-next`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01x`)).toBeNull();
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["version ff", `ff-${TRACE}-${PARENT}-01`],
    ["version 00 with more fields", `00-${TRACE}-${PARENT}-01-extra`],
    ["upper-case hex", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["short trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
    ["bad flags", `00-${TRACE}-${PARENT}-0g`],
    ["not hex", "00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-zzzzzzzzzzzzzzzz-01"],
  ])("refuses %s", (_, header) => {
    expect(parseTraceparent(header)).toBeNull();
  });
});

describe("new ids and formatTraceparent", () => {
  it("makes ids a receiver accepts, and a header that parses back", () => {
    const span = { traceId: newTraceId(), spanId: newSpanId() };
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(newTraceId()).not.toBe(span.traceId);
    expect(parseTraceparent(formatTraceparent(span))).toEqual({ traceId: span.traceId, parentSpanId: span.spanId, sampled: true });
    expect(formatTraceparent(span, false).endsWith("-00")).toBe(true);
  });
});
