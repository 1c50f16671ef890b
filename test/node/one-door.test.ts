// Tests reach the Worker only through the doors of test/helpers/api.ts, which scan every response for
// the test secrets. A test that called the Worker another way would skip that scan unnoticed.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const TEST = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DOORS = "helpers/api.ts";
const THIS_FILE = "node/one-door.test.ts";

/** Ways into the Worker other than the doors. */
const BYPASSES: [name: string, pattern: RegExp][] = [
  ["exports from cloudflare:workers", /import\s*\{[^}]*\bexports\b[^}]*\}\s*from\s*"cloudflare:workers"/],
  ["exports.default", /\bexports\.default\b/],
  ["SELF from cloudflare:test", /\bSELF\b/],
  ["createApp().fetch or .request", /\bcreateApp\(\)\s*\.\s*(fetch|request)\b/],
];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".ts") ? [relative(TEST, path)] : [];
  });
}

describe("the doors into the Worker", () => {
  it("are the only way tests call it", () => {
    const bypasses = testFiles(TEST)
      .filter((file) => file !== DOORS && file !== THIS_FILE)
      .flatMap((file) => {
        const text = readFileSync(join(TEST, file), "utf8");
        return BYPASSES.filter(([, pattern]) => pattern.test(text)).map(([name]) => `${file}: ${name}`);
      });
    expect(bypasses).toEqual([]);
  });
});
