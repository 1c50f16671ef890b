// The reference miner as a child process, for the demo and the end-to-end tests: started the way
// `npm run miner` starts it (Node with tsx), its output kept and offered line by line.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface MinerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output (already printed or yet to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

export function spawnMiner(args: readonly string[], onLine?: (line: string) => void): MinerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "miner", "main.ts"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let partial = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    const lines = (partial + text).split("\n");
    partial = lines.pop()!;
    if (onLine) for (const line of lines) onLine(line);
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));

  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (!match) return false;
        done();
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`miner printed no ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      if (!check()) listeners.add(check);
    });

  return { child, output: () => output, waitFor, exited };
}
