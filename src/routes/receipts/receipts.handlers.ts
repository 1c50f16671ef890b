import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/router";
import { loadReceiptKeyring, publishedKeys } from "../../receipts/keyring";
import { verifyReceipt } from "../../receipts/verify";
import type * as routes from "./receipts.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

export const listKeys: Handler<typeof routes.listKeys> = async (c) => {
  const config = c.get("config");
  const keys = publishedKeys(await loadReceiptKeyring(config));
  c.header("Cache-Control", "public, max-age=60");
  return c.json({ coordinator_id: config.coordinatorId, keys }, 200);
};

export const verify: Handler<typeof routes.verify> = async (c) => {
  const keys = publishedKeys(await loadReceiptKeyring(c.get("config")));
  return c.json(await verifyReceipt(c.req.valid("json"), keys), 200);
};
