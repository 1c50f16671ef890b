import { requireRole } from "../../http/middleware/auth";
import { createRouter } from "../../http/router";
import * as handlers from "./admin.handlers";
import * as routes from "./admin.routes";

export const adminRouter = createRouter();
adminRouter.use("/admin/*", requireRole("admin"));
adminRouter
  .openapi(routes.stats, handlers.stats)
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.getJob, handlers.getJob)
  .openapi(routes.listMiners, handlers.listMiners)
  .openapi(routes.reissueReceipt, handlers.reissueReceipt);
