import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { logger } from "../../lib/log";
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from "../../lib/trace-context";
import type { AppEnv } from "../router";

/**
 * Every request is a span: of the caller's trace when it sends a valid W3C traceparent, else of a new
 * trace. The response names the span in its own traceparent, and the request leaves one log line.
 */
export const traceRequest: MiddlewareHandler<AppEnv> = async (c, next) => {
  // The same double run of "*" middleware that request-id.ts guards against.
  if (c.get("span") !== undefined) return next();
  const parent = parseTraceparent(c.req.header("traceparent"));
  const span = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId() };
  c.set("span", span);
  const started = Date.now();
  await next();
  c.res.headers.set("traceparent", formatTraceparent(span, parent?.sampled ?? true));
  // The config is missing only when the settings failed to parse (answered 500): log anyway.
  logger(c.get("config")?.logLevel ?? "info").info("request", {
    request_id: c.get("requestId"),
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: parent?.parentSpanId,
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    duration_ms: Date.now() - started,
    principal_id: c.get("principal")?.id,
    job_id: c.req.param("job_id") ?? c.get("jobId"),
  });
};
