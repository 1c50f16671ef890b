// The served OpenAPI document is what /docs renders and what the typed SDK is generated from, so it
// must be complete and hold together:
// - every operation has an operationId (unique), a summary, a description, declared tags, and a
//   described response whose every media type has a schema;
// - every parameter and response header has a description and an example;
// - every property of every request and response schema (and of every component), at any depth,
//   has a description and an example. A property made of objects whose own properties are all
//   checked (an object, a $ref to one, an array of them, one of them or null, all of them) needs no example
//   of its own: its example is theirs;
// - every $ref resolves, every security requirement names a declared scheme, no component is itself
//   nullable, and a nullable use of one is written as anyOf [$ref, null];
// - every error code a response lists is one STATUS_BY_CODE gives that status, and every code but
//   METHOD_NOT_ALLOWED (which answers a method no operation has) is listed somewhere.
import { beforeAll, describe, expect, it } from "vitest";
import { type ErrorCode, STATUS_BY_CODE, wireCode } from "../../src/http/errors";
import { call } from "../helpers/api";
import { deref, errorCodesOf, type Json, operationsOf, resolveRef } from "../helpers/openapi";

let doc: Json;

beforeAll(async () => {
  const res = await call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
});

const isObject = (value: unknown): value is Record<string, Json> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Every value under `value`, with its JSON path. */
function* walk(value: Json, at = "#"): Generator<[Json, string]> {
  yield [value, at];
  if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* walk(item, `${at}/${i}`);
  else if (isObject(value)) for (const [key, member] of Object.entries(value)) yield* walk(member, `${at}/${key}`);
}

const hasExample = (schema: Json): boolean => schema !== undefined && ("example" in schema || Array.isArray(schema.examples));

/** Whether a property's example is the sum of its objects' property examples (see the header). */
function madeOfCheckedObjects(schema: Json): boolean {
  const s = deref(doc, schema);
  if (!isObject(s)) return false;
  if (isObject(s.properties) && Object.keys(s.properties).length > 0) return true;
  if (s.type === "array") return madeOfCheckedObjects(s.items);
  if (Array.isArray(s.allOf)) return s.allOf.every(madeOfCheckedObjects);
  const variants: Json[] = s.anyOf ?? s.oneOf ?? [];
  const nonNull = variants.filter((v: Json) => deref(doc, v)?.type !== "null");
  return nonNull.length > 0 && nonNull.every(madeOfCheckedObjects);
}

/** The description of a property: its own, else that of the component it refers to. */
function descriptionOf(schema: Json): string | undefined {
  if (typeof schema?.description === "string" && schema.description.trim()) return schema.description;
  const ref = schema?.$ref ?? schema?.anyOf?.find((v: Json) => v.$ref)?.$ref;
  return ref ? descriptionOf(resolveRef(doc, ref)) : undefined;
}

/** Every property under `schema` that lacks a description or an example, by path. */
function propertyProblems(schema: Json, at: string, seen: Set<string>): string[] {
  if (!isObject(schema)) return [];
  if (typeof schema.$ref === "string") {
    if (seen.has(schema.$ref)) return [];
    seen.add(schema.$ref);
    return propertyProblems(resolveRef(doc, schema.$ref), schema.$ref, seen);
  }
  const problems: string[] = [];
  for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) {
    if (!descriptionOf(property)) problems.push(`${at}.${name}: no description`);
    if (!hasExample(property) && !madeOfCheckedObjects(property)) problems.push(`${at}.${name}: no example`);
    problems.push(...propertyProblems(property, `${at}.${name}`, seen));
  }
  for (const key of ["items", "additionalProperties", "not"]) problems.push(...propertyProblems(schema[key], `${at}[]`, seen));
  for (const key of ["anyOf", "oneOf", "allOf"]) for (const part of schema[key] ?? []) problems.push(...propertyProblems(part, at, seen));
  return problems;
}

/** Every schema an operation takes or answers, by where it is. */
function schemasOf(op: Json, label: string): [Json, string][] {
  const body = Object.entries<Json>(op.requestBody?.content ?? {}).map(([type, media]): [Json, string] => [
    media.schema,
    `${label} body ${type}`,
  ]);
  const answers = Object.entries<Json>(op.responses ?? {}).flatMap(([status, response]) =>
    Object.entries<Json>(deref(doc, response).content ?? {}).map(([type, media]): [Json, string] => [
      media.schema,
      `${label} ${status} ${type}`,
    ]),
  );
  return [...body, ...answers];
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with every $ref resolvable and no nullable component", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "edge-coordinator", version: expect.any(String), description: expect.any(String) });
    const unresolved = [...walk(doc)].filter(([v]) => isObject(v) && typeof v.$ref === "string" && resolveRef(doc, v.$ref) === undefined);
    expect(unresolved.map(([v, at]) => `${at}: ${v.$ref}`)).toEqual([]);
    const nullable = Object.entries<Json>(doc.components.schemas).filter(([, s]) => Array.isArray(s.type) && s.type.includes("null"));
    expect(nullable.map(([name]) => name)).toEqual([]);
    // An allOf of a component and a nullable type admits no null at all.
    const nullAllOf = [...walk(doc)].filter(([v]) => isObject(v) && v.allOf?.some((part: Json) => part.type?.includes?.("null")));
    expect(nullAllOf.map(([, at]) => at)).toEqual([]);
    expect(doc.components.schemas.SubmitJob.properties.constraints).toEqual({
      anyOf: [{ $ref: "#/components/schemas/Constraints" }, { type: "null" }],
    });
  });

  it("names, summarises, describes and tags every operation, and documents a response schema for each media type", () => {
    const tags = new Set(doc.tags.map((t: Json) => t.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const { method, path, op } of operationsOf(doc)) {
      const label = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) problems.push(`${label}: no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${label}: operationId ${op.operationId} used twice`);
      ids.add(op.operationId);
      if (!op.summary?.trim()) problems.push(`${label}: no summary`);
      if (!op.description?.trim()) problems.push(`${label}: no description`);
      if (!op.tags?.length || !op.tags.every((t: string) => tags.has(t))) problems.push(`${label}: tags ${op.tags} not all declared`);
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement)) if (!schemes.has(scheme)) problems.push(`${label}: unknown scheme ${scheme}`);
      }
      if (!Object.keys(op.responses ?? {}).some((status) => /^[12]\d\d$/.test(status))) problems.push(`${label}: no success response`);
      for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
        if (!deref(doc, response).description?.trim()) problems.push(`${label} ${status}: no description`);
      }
      for (const [schema, where] of schemasOf(op, label)) if (!isObject(schema)) problems.push(`${where}: no schema`);
    }
    expect(problems).toEqual([]);
    expect(ids.size).toBeGreaterThan(25);
  });

  it("describes every parameter and response header with an example", () => {
    const problems: string[] = [];
    for (const { method, path, op } of operationsOf(doc)) {
      for (const parameter of (op.parameters ?? []).map((p: Json) => deref(doc, p))) {
        const label = `${method.toUpperCase()} ${path} ${parameter.in} ${parameter.name}`;
        if (!(parameter.description ?? parameter.schema?.description)) problems.push(`${label}: no description`);
        if (!hasExample(parameter) && !hasExample(parameter.schema)) problems.push(`${label}: no example`);
      }
      for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
        for (const [name, header] of Object.entries<Json>(deref(doc, response).headers ?? {})) {
          const h = deref(doc, header);
          const label = `${method.toUpperCase()} ${path} ${status} header ${name}`;
          if (!h.description) problems.push(`${label}: no description`);
          if (!hasExample(h) && !hasExample(h.schema)) problems.push(`${label}: no example`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("describes every property of every request and response schema, and of every component, with an example", () => {
    const seen = new Set<string>();
    const problems = operationsOf(doc).flatMap(({ method, path, op }) =>
      schemasOf(op, `${method.toUpperCase()} ${path}`).flatMap(([schema, where]) => propertyProblems(schema, where, seen)),
    );
    for (const name of Object.keys(doc.components.schemas))
      problems.push(...propertyProblems({ $ref: `#/components/schemas/${name}` }, name, seen));
    expect(problems).toEqual([]);
    // The walk reached the shared components, not only the inline schemas.
    expect(seen).toContain("#/components/schemas/JobView");
    expect(seen).toContain("#/components/schemas/Receipt");
  });

  it("lists under each error status only codes that STATUS_BY_CODE gives that status, and every code somewhere", () => {
    const allowed = new Set((Object.keys(STATUS_BY_CODE) as ErrorCode[]).map((code) => `${STATUS_BY_CODE[code]} ${wireCode(code)}`));
    const listed = new Set<string>();
    const problems: string[] = [];
    for (const { method, path, op } of operationsOf(doc)) {
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (Number(status) < 400) continue;
        const codes = errorCodesOf(doc, response);
        if (codes.length === 0) problems.push(`${method.toUpperCase()} ${path} ${status}: no error codes`);
        for (const code of codes) {
          listed.add(`${status} ${code}`);
          if (!allowed.has(`${status} ${code}`))
            problems.push(`${method.toUpperCase()} ${path} ${status}: ${code} is not a ${status} code`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect([...allowed].filter((pair) => !listed.has(pair)).sort()).toEqual(["405 METHOD_NOT_ALLOWED"]);
  });

  it("lists only the statuses an operation can answer with", () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
    expect(statuses("/v1/health", "get")).toEqual(["200", "429", "431", "500"]);
    expect(statuses("/v1/receipts/verify", "post")).toEqual(["200", "400", "413", "415", "429", "431", "500"]);
    expect(statuses("/v1/jobs/{job_id}", "get")).toEqual(["200", "401", "403", "404", "429", "431", "500", "503"]);
    expect(errorCodesOf(doc, doc.paths["/v1/jobs/{job_id}"].get.responses["404"])).toEqual(["JOB_NOT_FOUND"]);
    expect(errorCodesOf(doc, doc.paths["/v1/miners/{job_id}/result"].post.responses["409"]).sort()).toEqual([
      "CONFLICT_STATE",
      "LEASE_LOST",
    ]);
  });

  it("asks keyed operations for an API key in either header, and a signature where the key must sign; public ones for nothing", () => {
    const keyed = [{ ApiKey: [] }, { Bearer: [] }, { ApiKey: [], RequestSignature: [] }, { Bearer: [], RequestSignature: [] }];
    expect(doc.paths["/v1/jobs"].post.security).toEqual(keyed);
    expect(doc.paths["/metrics"].get.security).toEqual(keyed);
    for (const path of ["/v1/health", "/v1/receipts/keys"]) expect(doc.paths[path].get.security).toEqual([]);
    expect(doc.components.securitySchemes).toMatchObject({
      ApiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
      Bearer: { type: "http", scheme: "bearer" },
      RequestSignature: { type: "apiKey", in: "header", name: "X-Signature" },
    });
    expect(doc.components.securitySchemes.RequestSignature.description).toContain("v2=<hex HMAC-SHA256(secret, signing string)>");
  });

  it("describes /metrics as Prometheus text and the job event stream as server-sent events or a WebSocket", () => {
    expect(Object.keys(doc.paths["/metrics"].get.responses["200"].content)).toEqual(["text/plain; version=0.0.4; charset=utf-8"]);
    const events = doc.paths["/v1/jobs/{job_id}/events"].get;
    expect(events.responses["200"].content["text/event-stream"].schema.example).toMatch(/^id: 1\nevent: state\.changed\ndata: \{/);
    expect(events.responses["101"].description).toContain("WebSocket");
    const types = doc.components.schemas.JobStreamEvent.anyOf.flatMap(
      (member: any) => member.properties.type.enum ?? [member.properties.type.const],
    );
    expect(types).toEqual(["state.changed", "result.ready", "job.progress", "output.chunk"]);
  });
});
