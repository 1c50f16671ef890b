import { rateLimitPublic } from "../../http/middleware/rate-limit";
import { createRouter, schemaOnlyHook } from "../../http/router";
import * as handlers from "./receipts.handlers";
import * as routes from "./receipts.routes";

export const receiptsRouter = createRouter();
receiptsRouter.use("/receipts/*", rateLimitPublic);
receiptsRouter.openapi(routes.listKeys, handlers.listKeys).openapi(routes.verify, handlers.verify, schemaOnlyHook);
