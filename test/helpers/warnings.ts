// Tests that make the coordinator fail on purpose (a D1 outage, a reset Durable Object) make it log
// warnings. A test captures them instead, and asserts that they were logged, so that `npm test` prints
// only warnings nobody expected. Captured lines are still scanned for leaked secrets.
import { onTestFinished, vi } from "vitest";
import { scanForSecrets } from "./leak-scan";

/** Lines written with console[method] from now to the end of the current test, captured instead of printed. */
export function captureConsole(method: "log" | "warn"): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    const line = args.map((arg) => (typeof arg === "string" ? arg : String(arg))).join(" ");
    scanForSecrets(`console.${method}`, line);
    lines.push(line);
  });
  onTestFinished(() => spy.mockRestore());
  return lines;
}

export const captureWarnings = (): string[] => captureConsole("warn");
