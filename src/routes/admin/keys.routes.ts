import { createRoute, z } from "@hono/zod-openapi";
import { ROLES } from "../../auth/principal";
import { SECRET_PROBLEMS } from "../../auth/secret-box";
import { jsonBody, jsonResponse, keyAuth, openApiErrorResponses } from "../../http/openapi-errors";
import { Cursor, Limit, Page } from "../../http/schemas";

const tags = ["Admin"];
const security = keyAuth;
const KeyId = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "must be a key id from the key list");

export const KeyView = z
  .object({
    key_id: z.string(),
    principal_id: z.string(),
    role: z.enum(ROLES),
    name: z.string(),
    source: z.enum(["env", "admin"]),
    hmac: z.boolean(),
    hmac_status: z
      .enum(["ok", ...SECRET_PROBLEMS])
      .nullable()
      .openapi({
        description:
          "Whether the coordinator can open the key's HMAC secret; otherwise its requests are refused (503 SIGNING_UNAVAILABLE). Null without a secret.",
      }),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKeyView");

export const createKey = createRoute({
  method: "post",
  path: "/admin/keys",
  operationId: "adminCreateKey",
  tags,
  security,
  request: jsonBody(
    z
      .object({ role: z.enum(ROLES), name: z.string().min(1).max(128), hmac: z.boolean().optional() })
      .strict()
      .openapi("CreateKey"),
  ),
  responses: {
    201: jsonResponse(
      z.object({
        key_id: z.string(),
        principal_id: z.string(),
        role: z.enum(ROLES),
        name: z.string(),
        key: z.string(),
        hmac_secret: z.string().optional(),
      }),
      "Created; the key (and HMAC secret) are shown this once",
    ),
    ...openApiErrorResponses,
  },
});

export const listKeys = createRoute({
  method: "get",
  path: "/admin/keys",
  operationId: "adminListKeys",
  tags,
  security,
  request: { query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: { 200: jsonResponse(Page(KeyView), "Every key, never a secret"), ...openApiErrorResponses },
});

export const revokeKey = createRoute({
  method: "delete",
  path: "/admin/keys/{key_id}",
  operationId: "adminRevokeKey",
  tags,
  security,
  request: { params: z.object({ key_id: KeyId.openapi({ param: { name: "key_id", in: "path" } }) }) },
  responses: { 200: jsonResponse(KeyView, "Revoked (repeating it is harmless)"), ...openApiErrorResponses },
});
