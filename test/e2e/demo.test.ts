// `npm run demo` as a user runs it: a coordinator with two regions, two reference miners and an SDK
// client, offline. It must end with exit 0, every job done and every receipt verified.
import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { ROOT } from "../../scripts/dev-server.mjs";

it("runs the demo: a batch over two regions, one job's output followed live, every receipt verified", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "miner/demo.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.once("close", resolve));
  expect(code, output).toBe(0);
  expect(output).toMatch(/│ token 5 of 5 for \{"prompt":"hello 1"\}/);
  expect(output).toMatch(/receipts: 8 of 8 verify/);
  expect(output).toMatch(/gpu-eu-1: .* done 4 .* exit 0/);
  expect(output).toMatch(/gpu-us-1: .* done 4 .* exit 0/);
}, 180_000);
