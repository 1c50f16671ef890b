import { describe, expect, it } from "vitest";
import { repairReusedComponents } from "../../src/http/openapi-document";

const ref = { $ref: "#/components/schemas/Receipt" };

describe("repairReusedComponents", () => {
  it("writes a nullable use of a component as anyOf [$ref, null], keeping its description and example", () => {
    const written = { allOf: [ref, { type: ["object", "null"], description: "The receipt", example: null }] };
    expect(repairReusedComponents({ properties: { receipt: written } })).toEqual({
      properties: { receipt: { anyOf: [ref, { type: "null" }], description: "The receipt", example: null } },
    });
  });

  it("writes a re-described use of a component as $ref with its description", () => {
    expect(repairReusedComponents({ items: [{ allOf: [ref, { description: "The latest" }] }] })).toEqual({
      items: [{ $ref: ref.$ref, description: "The latest" }],
    });
  });

  it("leaves an allOf that extends a component, or constrains it, as it is", () => {
    const extension = { allOf: [ref, { type: "object", properties: { client_id: { type: "string" } } }] };
    const notNull = { allOf: [ref, { type: "object" }] };
    const three = { allOf: [ref, ref, { description: "x" }] };
    const beside = { allOf: [ref, { description: "x" }], description: "y" };
    for (const schema of [extension, notNull, three, beside]) expect(repairReusedComponents(schema)).toEqual(schema);
  });
});
