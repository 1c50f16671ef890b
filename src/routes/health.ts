import { createRoute, z } from "@hono/zod-openapi";
import { describeSigningProblem, signingProblem } from "../auth/signing-health";
import { rateLimitPublic } from "../http/middleware/rate-limit";
import { jsonResponse } from "../http/openapi-errors";
import { createRouter } from "../http/router";
import { APP_VERSION } from "../version";

const Problem = z.object({ code: z.literal("SIGNING_UNAVAILABLE"), message: z.string() }).openapi("HealthProblem");

const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["Service"],
  responses: {
    200: jsonResponse(
      z.object({
        // Stays "ok" while the service answers: AITBC clients read it, and a fault that refuses only some keys must not stop them.
        status: z.literal("ok"),
        env: z.string(),
        version: z.string(),
        receipts: z.enum(["enabled", "disabled"]),
        problems: z.array(Problem).openapi({ description: "Configuration faults that refuse some callers; empty when there are none" }),
      }),
      "The service is up",
    ),
  },
});

export const healthRouter = createRouter();
healthRouter.use("/health", rateLimitPublic);
healthRouter.openapi(health, async (c) => {
  const config = c.get("config");
  const signing = await signingProblem(config, c.env.DB);
  return c.json(
    {
      status: "ok" as const,
      env: config.appEnv,
      version: APP_VERSION,
      receipts: config.receiptSigningKeyHex ? ("enabled" as const) : ("disabled" as const),
      problems: signing ? [{ code: "SIGNING_UNAVAILABLE" as const, message: describeSigningProblem(signing) }] : [],
    },
    200,
  );
});
