import { requireRole } from "../../http/middleware/auth";
import { rateLimitPrincipal } from "../../http/middleware/rate-limit";
import { createRouter } from "../../http/router";
import * as handlers from "./admin.handlers";
import * as routes from "./admin.routes";
import * as keyHandlers from "./keys.handlers";
import * as keyRoutes from "./keys.routes";

export const adminRouter = createRouter();
adminRouter.use("/admin/*", requireRole("admin"), rateLimitPrincipal);
adminRouter
  .openapi(routes.stats, handlers.stats)
  .openapi(routes.statsHistory, handlers.statsHistory)
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.getJob, handlers.getJob)
  .openapi(routes.listJobReceipts, handlers.listJobReceipts)
  .openapi(routes.jobEvents, handlers.jobEvents)
  .openapi(routes.cancelJob, handlers.cancelJob)
  .openapi(routes.listMiners, handlers.listMiners)
  .openapi(routes.drainMiner, handlers.drainMiner)
  .openapi(routes.undrainMiner, handlers.undrainMiner)
  .openapi(routes.reissueReceipt, handlers.reissueReceipt)
  .openapi(keyRoutes.createKey, keyHandlers.createKey)
  .openapi(keyRoutes.listKeys, keyHandlers.listKeys)
  .openapi(keyRoutes.revokeKey, keyHandlers.revokeKey);
