import { requireRole } from "../../http/middleware/auth";
import { rateLimitPrincipal } from "../../http/middleware/rate-limit";
import { createRouter } from "../../http/router";
import * as handlers from "./miners.handlers";
import * as routes from "./miners.routes";

export const minersRouter = createRouter();
minersRouter.use("/miners/*", requireRole("miner"), rateLimitPrincipal);
minersRouter
  .openapi(routes.register, handlers.register)
  .openapi(routes.heartbeat, handlers.heartbeat)
  .openapi(routes.poll, handlers.poll)
  .openapi(routes.result, handlers.result)
  .openapi(routes.fail, handlers.fail)
  .openapi(routes.progress, handlers.progress)
  .openapi(routes.drain, handlers.drain);
