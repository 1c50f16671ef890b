import { z } from "@hono/zod-openapi";
import { ROLES } from "../../auth/principal";
import { SECRET_PROBLEMS } from "../../auth/secret-box";
import { apiRoute, jsonBody, jsonResponse, keyAuth } from "../../http/openapi-errors";
import { Cursor, Limit, Page } from "../../http/schemas";

const tags = ["Admin"];
const security = keyAuth;
const KeyId = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, "must be a key id from the key list")
  .openapi({ description: "A key's id, as the key list shows it (never the key itself)", example: "key_5d41402abc4b2a76" });
const Role = z.enum(ROLES).openapi({ description: "What the key may do: client, miner or admin", example: "miner" });
const KeyIdentity = {
  key_id: KeyId,
  principal_id: z
    .string()
    .openapi({ description: "Who the key acts as; the id that appears on the wire", example: "mnr_4b2e9f1a0c3d5e7f" }),
  role: Role,
  name: z.string().openapi({ description: "A name for people", example: "rig-7 in rack 3" }),
};

export const KeyView = z
  .object({
    ...KeyIdentity,
    source: z
      .enum(["env", "admin"])
      .openapi({ description: "env: a bootstrap key from the environment; admin: created through this API", example: "admin" }),
    hmac: z.boolean().openapi({ description: "Whether the key has an HMAC secret, and so must sign its requests", example: true }),
    hmac_status: z
      .enum(["ok", ...SECRET_PROBLEMS])
      .nullable()
      .openapi({
        description:
          "Whether the coordinator can open the key's HMAC secret; otherwise its requests are refused (503 SIGNING_UNAVAILABLE). Null without a secret.",
        example: "ok",
      }),
    created_at: z.string().openapi({ description: "When it was created (ISO 8601 UTC)", example: "2026-01-01T10:00:00.000Z" }),
    last_used_at: z
      .string()
      .nullable()
      .openapi({ description: "When it last authenticated (roughly); null if never", example: "2026-01-01T12:00:10.000Z" }),
    revoked_at: z.string().nullable().openapi({ description: "When it was revoked; null while it works", example: null }),
  })
  .openapi("ApiKeyView", { description: "An API key as admins see it, never its secret" });

export const createKey = apiRoute({
  method: "post",
  path: "/admin/keys",
  operationId: "adminCreateKey",
  summary: "Create an API key",
  description:
    "Creates a key of a role, with an HMAC secret it must sign with when hmac is true. The key and the secret are shown in this answer only.",
  tags,
  security,
  request: jsonBody(
    z
      .object({
        role: Role,
        name: z.string().min(1).max(128).openapi({ description: "A name for people, 1-128 characters", example: "rig-7 in rack 3" }),
        hmac: z
          .boolean()
          .optional()
          .openapi({ description: "Give the key an HMAC secret it must sign every request with; default false", example: true }),
      })
      .strict()
      .openapi("CreateKey", { description: "The key to create" }),
  ),
  responses: {
    201: jsonResponse(
      z.object({
        ...KeyIdentity,
        key: z.string().openapi({
          description: "The key itself; shown this once",
          example: "ec_miner_8c1f3e5a7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a",
        }),
        hmac_secret: z.string().optional().openapi({
          description: "The secret to sign requests with, when hmac was true; shown this once",
          example: "5e7a9c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e",
        }),
      }),
      "Created; the key (and HMAC secret) are shown this once",
    ),
  },
  errors: ["INVALID_PAYLOAD", "CONFLICT_STATE"],
  errorMeanings: { CONFLICT_STATE: "hmac is true and the coordinator has no SECRETS_ENCRYPTION_KEY_HEX to seal the secret with" },
});

export const listKeys = apiRoute({
  method: "get",
  path: "/admin/keys",
  operationId: "adminListKeys",
  summary: "List API keys",
  description: "Every key, bootstrap and created, revoked included; never a secret.",
  tags,
  security,
  request: { query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(KeyView), "Every key, never a secret") },
  errors: ["INVALID_PAYLOAD"],
});

export const revokeKey = apiRoute({
  method: "delete",
  path: "/admin/keys/{key_id}",
  operationId: "adminRevokeKey",
  summary: "Revoke an API key",
  description: "The key stops working at once on every isolate. Revoking again answers the same view.",
  tags,
  security,
  request: { params: z.object({ key_id: KeyId.openapi({ param: { name: "key_id", in: "path" } }) }) },
  responses: { 200: jsonResponse(KeyView, "Revoked (repeating it is harmless)") },
  errors: ["NOT_FOUND", "CONFLICT_STATE"],
  errorMeanings: {
    NOT_FOUND: "no key has this id",
    CONFLICT_STATE: "a bootstrap key from the environment; remove it there to revoke it",
  },
});
