export declare const DOCUMENT_FILE: string;
export declare const SCHEMA_FILE: string;

/** The text of sdk/openapi.json for a served document. */
export declare function documentText(document: unknown): string;

/** The text of sdk/schema.ts for a served document. */
export declare function schemaText(document: unknown): Promise<string>;

/** GET /openapi.json from a coordinator started for the purpose, then stopped. */
export declare function fetchServedDocument(): Promise<unknown>;
