// Reading the served OpenAPI document: resolving $refs, finding the operation a request reaches, and
// the error codes a response lists.

/** The document as read from the wire. */
export type Json = any;

export const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head", "options", "trace"] as const;

export interface Operation {
  method: string;
  path: string;
  op: Json;
}

/** The target of a local $ref ("#/components/schemas/JobView"), or undefined when it names nothing. */
export function resolveRef(doc: Json, ref: string): Json {
  if (!ref.startsWith("#/")) return undefined;
  let at: Json = doc;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** A schema with its $ref followed (once per hop, until it is not a reference). */
export function deref(doc: Json, schema: Json): Json {
  let at = schema;
  for (let hops = 0; at && typeof at.$ref === "string" && hops < 10; hops++) at = resolveRef(doc, at.$ref);
  return at;
}

export function operationsOf(doc: Json): Operation[] {
  return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, path, op: item[method] })),
  );
}

/**
 * The documented operation a request reaches, the way the router picks it: among the templates
 * that match the path and have the method, the one with the fewest parameters.
 */
export function operationFor(doc: Json, method: string, pathname: string): Operation | undefined {
  const candidates = operationsOf(doc).filter(
    (o) => o.method === method.toLowerCase() && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(pathname),
  );
  const params = (o: Operation) => (o.path.match(/\{/g) ?? []).length;
  return candidates.sort((a, b) => params(a) - params(b))[0];
}

/** The error codes an error response's schema allows (`error.code`'s enum, the most specific one). */
export function errorCodesOf(doc: Json, response: Json): string[] {
  const schema = deref(doc, response?.content?.["application/json"]?.schema);
  let codes: string[] = [];
  for (const part of [schema, ...(schema?.allOf ?? [])].map((s: Json) => deref(doc, s))) {
    const code = deref(doc, deref(doc, part?.properties?.error)?.properties?.code);
    if (Array.isArray(code?.enum)) codes = code.enum;
  }
  return codes;
}
