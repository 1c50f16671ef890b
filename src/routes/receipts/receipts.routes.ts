import { createRoute, z } from "@hono/zod-openapi";
import { jsonBody, jsonResponse, openApiErrorResponses } from "../../http/openapi-errors";

const tags = ["Receipts"];

export const PublishedKey = z
  .object({
    key_id: z.string(),
    alg: z.literal("Ed25519"),
    use: z.enum(["signing", "attestation"]),
    status: z.enum(["active", "retired"]),
    public_key_hex: z.string(),
  })
  .openapi("PublishedKey");

export const listKeys = createRoute({
  method: "get",
  path: "/receipts/keys",
  operationId: "listReceiptKeys",
  tags,
  responses: {
    200: jsonResponse(z.object({ coordinator_id: z.string(), keys: z.array(PublishedKey) }), "Keys a verifier may trust"),
    ...openApiErrorResponses,
  },
});

export const verify = createRoute({
  method: "post",
  path: "/receipts/verify",
  operationId: "verifyReceipt",
  tags,
  // Any JSON value: whatever is not a receipt or an exact pair gets valid: false with a reason.
  request: jsonBody(
    z.unknown().openapi({ description: "A receipt, or exactly the {result, receipt} body of GET /v1/jobs/{job_id}/result" }),
  ),
  responses: {
    200: jsonResponse(z.object({ valid: z.boolean(), reasons: z.array(z.string()) }), "Whether the document verifies, and why not"),
    ...openApiErrorResponses,
  },
});
