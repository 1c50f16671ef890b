import { z } from "@hono/zod-openapi";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi-errors";

const tags = ["Receipts"];

export const PublishedKey = z
  .object({
    key_id: z.string().openapi({
      description: "The key's id: its public key, base64url; receipts name it",
      example: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }),
    alg: z.literal("Ed25519").openapi({ description: "Always Ed25519", example: "Ed25519" }),
    use: z
      .enum(["signing", "attestation"])
      .openapi({ description: "signing: a receipt's signature; attestation: its attestations", example: "signing" }),
    status: z.enum(["active", "retired"]).openapi({
      description: "active: signs new receipts; retired: no longer signs, and its receipts still verify",
      example: "active",
    }),
    public_key_hex: z.string().openapi({
      description: "The Ed25519 public key, 64 hex characters",
      example: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    }),
  })
  .openapi("PublishedKey", { description: "A key a receipt verifier may trust" });

export const listKeys = apiRoute({
  method: "get",
  path: "/receipts/keys",
  operationId: "listReceiptKeys",
  summary: "List receipt keys",
  description: "The public keys that sign receipts, for verifying them offline. No key needed; cacheable for 60 s.",
  tags,
  security: [],
  responses: {
    200: jsonResponse(
      z.object({
        coordinator_id: z
          .string()
          .openapi({ description: "The coordinator the keys belong to (receipts' coordinator_id)", example: "edge-coordinator-local" }),
        keys: z.array(PublishedKey).openapi({ description: "Every published key; empty when receipts are disabled" }),
      }),
      "Keys a verifier may trust",
    ),
  },
});

export const verify = apiRoute({
  method: "post",
  path: "/receipts/verify",
  operationId: "verifyReceipt",
  summary: "Verify a receipt",
  description:
    "Verifies exactly the document sent, against this coordinator's published keys: a receipt, or exactly the {result, receipt} body of GET /v1/jobs/{job_id}/result (whose result must then match the receipt's result_hash). Any JSON document gets a verdict. No key needed.",
  tags,
  security: [],
  // Any JSON value: whatever is not a receipt or an exact pair gets valid: false with a reason.
  request: jsonBody(
    z.unknown().openapi({
      description: "A receipt, or exactly the {result, receipt} body of GET /v1/jobs/{job_id}/result",
      example: {
        version: "1.0",
        receipt_id: "c0ffee00c0ffee00c0ffee00c0ffee00",
        job_id: "3f2a9c1e5b7d4f60a1b2c3d4e5f60718",
        provider: "rig-7",
        client: "cli_8f3a1c2d4e5f6a7b",
        units: 12.5,
        unit_type: "gpu_seconds",
        price: 0.002,
        started_at: 1767268802,
        completed_at: 1767268814,
        duration_ms: 12480,
        coordinator_id: "edge-coordinator-local",
        nonce: "5e1f0a9b8c7d6e5f",
        payload_hash: "sha256:a351aed332a83220327ca2e7fc71bc51393c6cc5b228572c00af84541b70a9bc",
        result_hash: "sha256:19d7ba24ee8aa799db358fa3d3a493f3c9ee8e41d88b927c4c7186f84947bd9c",
        signature: {
          alg: "Ed25519",
          key_id: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
          sig: "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
        },
      },
    }),
  ),
  responses: {
    200: jsonResponse(
      z.object({
        valid: z.boolean().openapi({ description: "True only when every check passed", example: false }),
        reasons: z.array(z.string()).openapi({
          description:
            "Why not, one entry per failed check (MALFORMED, ALG_UNSUPPORTED, SIGNATURE_INVALID, KEY_NOT_TRUSTED, ATTESTATION_INVALID, ATTESTATION_KEY_NOT_TRUSTED, ATTESTATION_MISSING, RESULT_MISMATCH, with the member or key concerned); empty when valid",
          example: ["KEY_NOT_TRUSTED: PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw"],
        }),
      }),
      "Whether the document verifies, and why not",
    ),
  },
});
