// Records every console line written while a test file runs (the Worker, its Durable Objects and the
// tests share this isolate) and, after the file, fails if a test key or seed appeared in one of them
// or in a response that came through a door of test/helpers/api.ts.
import { afterAll, expect } from "vitest";
import { leaksFound, scanForSecrets } from "../helpers/leak-scan";

const METHODS = ["log", "info", "warn", "error", "debug"] as const;

function format(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}\n${arg.stack ?? ""}`;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

for (const method of METHODS) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    scanForSecrets(`console.${method}`, args.map(format).join(" "));
    original(...args);
  };
}

afterAll(() => {
  expect(leaksFound(), "a test key or seed appeared in a response or a log line").toEqual([]);
});
