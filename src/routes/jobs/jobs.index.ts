import { requireRole } from "../../http/middleware/auth";
import { rateLimitPrincipal } from "../../http/middleware/rate-limit";
import { createRouter } from "../../http/router";
import * as handlers from "./jobs.handlers";
import * as routes from "./jobs.routes";

export const jobsRouter = createRouter();
// "/jobs/*" matches "/jobs" itself too: a second use("/jobs") would authenticate and count it twice.
jobsRouter.use("/jobs/*", requireRole("client"), rateLimitPrincipal);
jobsRouter
  .openapi(routes.submitJob, handlers.submitJob)
  .openapi(routes.submitJobBatch, handlers.submitJobBatch)
  .openapi(routes.listJobs, handlers.listJobs)
  .openapi(routes.getJob, handlers.getJob)
  .openapi(routes.getJobResult, handlers.getJobResult)
  .openapi(routes.cancelJob, handlers.cancelJob)
  .openapi(routes.getJobReceipt, handlers.getJobReceipt)
  .openapi(routes.listJobReceipts, handlers.listJobReceipts)
  .openapi(routes.jobEvents, handlers.jobEvents);
