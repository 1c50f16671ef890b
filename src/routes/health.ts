import { z } from "@hono/zod-openapi";
import { describeSigningProblem, signingProblem } from "../auth/signing-health";
import { rateLimitPublic } from "../http/middleware/rate-limit";
import { apiRoute, jsonResponse } from "../http/openapi-errors";
import { createRouter } from "../http/router";
import { APP_VERSION } from "../version";

const Problem = z
  .object({
    code: z
      .literal("SIGNING_UNAVAILABLE")
      .openapi({ description: "The fault, as the error code the refused callers get", example: "SIGNING_UNAVAILABLE" }),
    message: z.string().openapi({
      description: "What is wrong and who is refused",
      example: describeSigningProblem("secrets_key_missing"),
    }),
  })
  .openapi("HealthProblem", { description: "A configuration fault that refuses some callers" });

const health = apiRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  summary: "Health",
  description:
    "Whether the service answers, its version, whether receipts are signed, and configuration faults that refuse some callers. No key needed.",
  tags: ["Service"],
  security: [],
  responses: {
    200: jsonResponse(
      z.object({
        // Stays "ok" while the service answers: AITBC clients read it, and a fault that refuses only some keys must not stop them.
        status: z.literal("ok").openapi({ description: "Always ok while the service answers; watch problems", example: "ok" }),
        env: z.string().openapi({ description: "The deployment's APP_ENV", example: "production" }),
        version: z.string().openapi({ description: "The coordinator's version", example: APP_VERSION }),
        receipts: z
          .enum(["enabled", "disabled"])
          .openapi({ description: "Whether completed jobs get signed receipts", example: "enabled" }),
        problems: z
          .array(Problem)
          .openapi({ description: "Configuration faults that refuse some callers; empty when there are none", example: [] }),
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
