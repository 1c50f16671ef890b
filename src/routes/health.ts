import { createRoute, z } from "@hono/zod-openapi";
import { jsonResponse } from "../http/openapi-errors";
import { rateLimitPublic } from "../http/middleware/rate-limit";
import { createRouter } from "../http/router";
import { APP_VERSION } from "../version";

const health = createRoute({
  method: "get", path: "/health", operationId: "health", tags: ["Service"],
  responses: {
    200: jsonResponse(
      z.object({ status: z.literal("ok"), env: z.string(), version: z.string(), receipts: z.enum(["enabled", "disabled"]) }),
      "The service is up",
    ),
  },
});

export const healthRouter = createRouter();
healthRouter.use("/health", rateLimitPublic);
healthRouter.openapi(health, (c) => {
  const config = c.get("config");
  return c.json({
    status: "ok" as const,
    env: config.appEnv,
    version: APP_VERSION,
    receipts: config.receiptSigningKeyHex ? ("enabled" as const) : ("disabled" as const),
  }, 200);
});
