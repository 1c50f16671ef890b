// W3C Trace Context (traceparent, version 00): the ids that tie a job's steps into one trace.
import { bytesToHex } from "./encoding";

/** A step's place in a trace: the trace it belongs to and its own span id. */
export interface Span {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** 16 lower-case hex digits, not all zero. */
  spanId: string;
}

/** What a caller's traceparent header says: the trace it continues, the caller's span and whether it is sampled. */
export interface TraceParent {
  traceId: string;
  parentSpanId: string;
  sampled: boolean;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ALL_ZERO = /^0+$/;
const HEX_BYTE = /^[0-9a-f]{2}$/;

function randomId(bytes: number): string {
  const id = bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
  // All zero is the invalid id; the chance is nil, but the rule is cheap to keep.
  return ALL_ZERO.test(id) ? randomId(bytes) : id;
}

export const newTraceId = (): string => randomId(16);
export const newSpanId = (): string => randomId(8);

/**
 * Parses a traceparent header as the W3C rules say a receiver must: version ff and malformed ids are
 * invalid (start a new trace); a later version is read by its first four fields when it is longer.
 */
export function parseTraceparent(header: string | undefined | null): TraceParent | null {
  if (!header) return null;
  const value = header.trim();
  const [version, traceId, parentSpanId, flags] = value.split("-");
  if (version === undefined || !HEX_BYTE.test(version) || version === "ff") return null;
  if (version === "00" ? value.length !== 55 : value.length < 55 || (value.length > 55 && value[55] !== "-")) return null;
  if (traceId === undefined || !TRACE_ID.test(traceId) || ALL_ZERO.test(traceId)) return null;
  if (parentSpanId === undefined || !SPAN_ID.test(parentSpanId) || ALL_ZERO.test(parentSpanId)) return null;
  if (flags === undefined || !HEX_BYTE.test(flags)) return null;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** The traceparent header that names a span as the parent of whatever comes next. */
export function formatTraceparent(span: Span, sampled = true): string {
  return `00-${span.traceId}-${span.spanId}-${sampled ? "01" : "00"}`;
}
