import { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../auth/principal";
import type { Config } from "../config";
import { errorResponse, zodDetails } from "./errors";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal; config: Config };
};

/** Every router shares one validation hook, so a schema failure always reads the same way. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return errorResponse(c, "INVALID_PAYLOAD", `invalid ${result.target}`, zodDetails(result.error));
      }
    },
  });
}
