// The SDK runs in Workers, browsers and Node: nothing it loads may be Node-only, and the Worker never
// loads the SDK or the CLI. Checked from the imports themselves, transitively (type-only included).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The npm packages the SDK may load: each runs on fetch and Web Crypto alone. */
const SDK_PACKAGES = ["openapi-fetch", "canonicalize"];

const specifiersOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);

function resolveRelative(file: string, specifier: string): string {
  const target = resolve(dirname(file), specifier);
  return [target, `${target}.ts`, join(target, "index.ts")].find((candidate) => existsSync(candidate) && candidate.endsWith(".ts"))!;
}

/** Every file the entry loads, and every package it names. */
function closure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith(".")) pending.push(resolveRelative(file, specifier));
      else packages.add(specifier);
    }
  }
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("what the SDK loads", () => {
  const { files, packages } = closure(join(ROOT, "sdk/index.ts"));

  it("is only its own files and pure modules of src/ (no Worker bindings, no Durable Objects)", () => {
    const outside = files.filter((file) => !file.startsWith("sdk/"));
    expect(
      outside.every((file) => /^src\/(lib|model|receipts|auth\/hmac\.ts|queue\/job-stream\.ts)/.test(file)),
      outside.join(", "),
    ).toBe(true);
  });

  it("names no Node module and no package beyond fetch-only ones", () => {
    expect(packages.filter((name) => !SDK_PACKAGES.includes(name))).toEqual([]);
  });
});

describe("the Worker", () => {
  it("never loads the SDK or the CLI", () => {
    const { files } = closure(join(ROOT, "src/index.ts"));
    expect(files.filter((file) => !file.startsWith("src/"))).toEqual([]);
    expect(tsFiles(join(ROOT, "src")).filter((file) => specifiersOf(file).some((s) => /\/(sdk|cli)(\/|$)/.test(s)))).toEqual([]);
  });
});
