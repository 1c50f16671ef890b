import { methodNotAllowed } from "hono/method-not-allowed";
import { getConfig } from "./config";
import { errorResponse, handleError } from "./http/errors";
import { limitBodySize, requireJsonBody } from "./http/middleware/body-guard";
import { corsPolicy } from "./http/middleware/cors";
import { limitHeaders } from "./http/middleware/header-guard";
import { rateLimitPublic } from "./http/middleware/rate-limit";
import { requestId } from "./http/middleware/request-id";
import { securityHeaders } from "./http/middleware/security-headers";
import { traceRequest } from "./http/middleware/trace";
import { OPENAPI_INFO, OPENAPI_TAGS, repairReusedComponents } from "./http/openapi-document";
import { HEADER_COMPONENTS, SECURITY_SCHEMES } from "./http/openapi-errors";
import { createRouter } from "./http/router";
import { Constraints, Receipt } from "./http/schemas";
import { adminRouter } from "./routes/admin/admin.index";
import { healthRouter } from "./routes/health";
import { jobsRouter } from "./routes/jobs/jobs.index";
import { JobStreamEvent } from "./routes/jobs/jobs.routes";
import { metricsRouter } from "./routes/metrics";
import { minersRouter } from "./routes/miners/miners.index";
import { Capabilities, Metrics } from "./routes/miners/miners.routes";
import { pagesRouter } from "./routes/pages/pages.index";
import { receiptsRouter } from "./routes/receipts/receipts.index";

export function createApp() {
  const app = createRouter();

  // Order matters: every response (errors, 404s, preflights) passes back out through request-id, the
  // trace (its traceparent header and log line) and the security headers; CORS answers preflights
  // before the 405 guard and auth; the size guards run before anything parses a header or the body. Auth and rate limits are per router (routes/*/*.index.ts).
  app.use("*", requestId);
  app.use("*", traceRequest);
  app.use("*", securityHeaders);
  app.use("*", async (c, next) => {
    c.set("config", getConfig(c.env));
    await next();
  });
  app.use("*", corsPolicy);
  app.use("*", limitHeaders, limitBodySize, requireJsonBody);
  app.use(
    "*",
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        errorResponse(c, "METHOD_NOT_ALLOWED", `use ${methods.join(", ")}`, undefined, { Allow: methods.join(", ") }),
    }),
  );

  // Components registered before any route uses them: the generator writes a component as nullable
  // when its first use is an optional or nullable one. JobStreamEvent is named only in descriptions.
  for (const [name, schema] of Object.entries({ Constraints, Receipt, Capabilities, Metrics, JobStreamEvent })) {
    app.openAPIRegistry.register(name, schema);
  }
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  for (const [name, header] of Object.entries(HEADER_COMPONENTS)) app.openAPIRegistry.registerComponent("headers", name, header);

  // Public
  app.route("/v1", healthRouter);
  app.route("/v1", receiptsRouter);
  // Clients, miners, admins
  app.route("/v1", jobsRouter);
  app.route("/v1", minersRouter);
  app.route("/v1", adminRouter);
  // Operators: dashboard and API reference pages, Prometheus metrics
  app.route("/", pagesRouter);
  app.route("/", metricsRouter);

  // Built on first request (every route is registered by then), once per isolate, and counted per IP like the public API.
  let openApiDocument: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", rateLimitPublic, (c) => {
    openApiDocument ??= repairReusedComponents(app.getOpenAPI31Document({ openapi: "3.1.0", info: OPENAPI_INFO, tags: OPENAPI_TAGS }));
    return c.json(openApiDocument);
  });

  app.notFound((c) => errorResponse(c, "NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError(handleError);
  return app;
}
