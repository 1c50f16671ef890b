import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { bootstrapKeys, forgetCachedKey, hashKey } from "../../auth/keys";
import { PRINCIPAL_PREFIX, type Role } from "../../auth/principal";
import { sealSecret, tryOpenSecret } from "../../auth/secret-box";
import { createDb } from "../../db/client";
import { insertKey, markKeyRevoked, selectKey, selectKeys } from "../../db/queries/api-keys";
import type { ApiKeyRow } from "../../db/schema";
import { ApiError } from "../../http/errors";
import type { AppEnv } from "../../http/router";
import { newKeyId, newSecret } from "../../lib/ids";
import { toIso } from "../../lib/time";
import type * as routes from "./keys.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** Whether the coordinator can open the key's HMAC secret; null for a key without one. */
async function hmacStatus(row: ApiKeyRow, secretsKeyHex: string | undefined) {
  if (row.hmacSecret === null) return null;
  const opened = await tryOpenSecret(secretsKeyHex, row.hmacSecret);
  return "problem" in opened ? opened.problem : ("ok" as const);
}

async function keyView(row: ApiKeyRow, secretsKeyHex: string | undefined) {
  return {
    key_id: row.keyId,
    principal_id: row.principalId,
    role: row.role as Role,
    name: row.name,
    source: row.source as "env" | "admin",
    hmac: row.hmacSecret !== null,
    hmac_status: await hmacStatus(row, secretsKeyHex),
    created_at: toIso(row.createdAt)!,
    last_used_at: toIso(row.lastUsedAt),
    revoked_at: toIso(row.revokedAt),
  };
}

export const createKey: Handler<typeof routes.createKey> = async (c) => {
  const { role, name, hmac } = c.req.valid("json");
  const config = c.get("config");
  if (hmac && !config.secretsEncryptionKeyHex) {
    throw new ApiError("CONFLICT_STATE", "HMAC keys need SECRETS_ENCRYPTION_KEY_HEX to be set on the coordinator");
  }
  const key = `ec_${role}_${newSecret()}`;
  const hmacSecret = hmac ? newSecret() : undefined;
  const row: ApiKeyRow = {
    keyId: `key_${newKeyId()}`,
    keyHash: await hashKey(key),
    principalId: `${PRINCIPAL_PREFIX[role]}_${newKeyId()}`,
    role,
    name,
    source: "admin",
    hmacSecret: hmacSecret ? await sealSecret(config.secretsEncryptionKeyHex!, hmacSecret) : null,
    createdAt: Date.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await insertKey(createDb(c.env.DB), row);
  const shown = { key_id: row.keyId, principal_id: row.principalId, role, name, key };
  return c.json(hmacSecret ? { ...shown, hmac_secret: hmacSecret } : shown, 201);
};

export const listKeys: Handler<typeof routes.listKeys> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const config = c.get("config");
  const page = await selectKeys(createDb(c.env.DB), [...(await bootstrapKeys(config)).keys()], limit, cursor);
  const secretsKeyHex = config.secretsEncryptionKeyHex;
  const items = await Promise.all(page.items.map((row) => keyView(row, secretsKeyHex)));
  return c.json({ items, next_cursor: page.nextCursor }, 200);
};

export const revokeKey: Handler<typeof routes.revokeKey> = async (c) => {
  const db = createDb(c.env.DB);
  const { key_id: keyId } = c.req.valid("param");
  const existing = await selectKey(db, keyId);
  if (!existing) throw new ApiError("NOT_FOUND", "no such key");
  if (existing.source === "env") {
    throw new ApiError("CONFLICT_STATE", "bootstrap keys come from the environment; remove them there to revoke them");
  }
  const revoked = (await markKeyRevoked(db, keyId, Date.now()))!;
  forgetCachedKey(revoked.keyHash);
  return c.json(await keyView(revoked, c.get("config").secretsEncryptionKeyHex), 200);
};
