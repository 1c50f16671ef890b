/**
 * Scalar's standalone API reference bundle, as text: wrangler.toml's [[rules]] import it as a Text
 * module (vitest.config.ts points the path at the file, which the package does not export).
 */
declare module "@scalar/api-reference/dist/browser/standalone.js" {
  const source: string;
  export default source;
}
