// The layering of src/ (docs/architecture.md, "Folders"), checked from the imports themselves: each
// folder imports only folders of lower layers, and no files import each other in a loop.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Layer of each top-level entry of src/: an entry may import only entries of a lower layer (and itself). */
const LAYER: Record<string, number> = {
  lib: 0,
  model: 1,
  "config.ts": 1,
  "version.ts": 1,
  db: 2,
  auth: 3,
  receipts: 3,
  settlement: 4,
  queue: 5,
  http: 6,
  routing: 7,
  routes: 8,
  "app.ts": 9,
  "index.ts": 10,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a file, resolved to files of src/ (type-only imports included: they couple too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specifiers.map((spec) => {
    const target = resolve(dirname(file), spec);
    const candidates = [target, `${target}.ts`, join(target, "index.ts")];
    return candidates.find((c) => files.includes(c)) ?? target;
  });
}

const entryOf = (file: string): string => relative(SRC, file).split("/")[0]!;
const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe("src/ layering", () => {
  it("puts every top-level entry of src/ in a layer", () => {
    const entries = [...new Set(files.map(entryOf))].sort();
    expect(entries).toEqual(Object.keys(LAYER).sort());
  });

  it("imports only downwards between folders", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const from = entryOf(file);
        const to = entryOf(target);
        if (from !== to && !(LAYER[to]! < LAYER[from]!)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import cycle between files", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
