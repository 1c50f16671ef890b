// Secrets the tests run with must never show up in a response or a log line. The doors of
// test/helpers/api.ts and the console hooks of test/setup/leak-scan.ts hand every response and log line
// to `scanForSecrets`; the setup file's afterAll fails the test file if any of them held a secret.
import { ROTATED_SEED, TEST_KEYS, TEST_SEEDS } from "./test-bindings";

const SECRETS: [name: string, value: string][] = [
  ...Object.entries(TEST_KEYS).map(([name, value]) => [`TEST_KEYS.${name}`, value] as [string, string]),
  ...Object.entries(TEST_SEEDS).map(([name, value]) => [`TEST_SEEDS.${name}`, value] as [string, string]),
  ["ROTATED_SEED", ROTATED_SEED],
];

export interface Leak {
  secret: string;
  source: string;
  excerpt: string;
}

const leaks: Leak[] = [];
let scanned = 0;

export function scanForSecrets(source: string, text: string): void {
  scanned += 1;
  const lower = text.toLowerCase();
  for (const [name, value] of SECRETS) {
    const at = lower.indexOf(value.toLowerCase());
    // The excerpt shows where the secret was, never the secret itself.
    if (at >= 0) leaks.push({ secret: name, source, excerpt: `${text.slice(Math.max(0, at - 60), at)}<${name}>` });
  }
}

export const leaksFound = (): readonly Leak[] => leaks;
export const textsScanned = (): number => scanned;
