import { methodNotAllowed } from "hono/method-not-allowed";
import { getConfig } from "./config";
import { errorResponse, handleError } from "./http/errors";
import { limitBodySize, requireJsonBody } from "./http/middleware/body-guard";
import { corsPolicy } from "./http/middleware/cors";
import { limitHeaders } from "./http/middleware/header-guard";
import { rateLimitPublic } from "./http/middleware/rate-limit";
import { requestId } from "./http/middleware/request-id";
import { securityHeaders } from "./http/middleware/security-headers";
import { createRouter } from "./http/router";
import { adminRouter } from "./routes/admin/admin.index";
import { healthRouter } from "./routes/health";
import { jobsRouter } from "./routes/jobs/jobs.index";
import { metricsRouter } from "./routes/metrics";
import { minersRouter } from "./routes/miners/miners.index";
import { pagesRouter } from "./routes/pages/pages.index";
import { receiptsRouter } from "./routes/receipts/receipts.index";
import { APP_VERSION } from "./version";

export function createApp() {
  const app = createRouter();

  // Order matters: every response (errors, 404s, preflights) passes back out through request-id and
  // the security headers; CORS answers preflights before the 405 guard and auth; the size guards run
  // before anything parses a header or the body. Auth and rate limits are per router (routes/*/*.index.ts).
  app.use("*", requestId);
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

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", { type: "apiKey", in: "header", name: "X-Api-Key" });
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer" });
  // Built on first request (every route is registered by then), once per isolate, and counted per IP like the public API.
  let openApiDocument: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", rateLimitPublic, (c) => {
    openApiDocument ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: "edge-coordinator", version: APP_VERSION, description: "AITBC Coordinator API v1 compatible job coordinator" },
    });
    return c.json(openApiDocument);
  });

  app.notFound((c) => errorResponse(c, "NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError(handleError);
  return app;
}
