// Whether the coordinator can open the HMAC secrets of its keys, for /v1/health. A wrong or missing
// SECRETS_ENCRYPTION_KEY_HEX refuses every key that must sign (503 SIGNING_UNAVAILABLE), so it must be
// visible before those callers report it. Probed on a sample (the oldest and the newest active HMAC
// key: a changed setting breaks the keys sealed before the change) once per isolate and minute.
import type { Config } from "../config";
import { createDb } from "../db/client";
import { sealedSecretSamples } from "../db/queries/api-keys";
import { SECRET_PROBLEM_TEXT, type SecretProblem, tryOpenSecret } from "./secret-box";

const PROBE_EVERY_MS = 60_000;

let probed: { config: Config; until: number; problem: SecretProblem | null } | undefined;

export async function signingProblem(config: Config, d1: D1Database, now = Date.now()): Promise<SecretProblem | null> {
  if (probed?.config === config && probed.until > now) return probed.problem;
  let problem: SecretProblem | null = null;
  for (const sealed of await sealedSecretSamples(createDb(d1))) {
    const opened = await tryOpenSecret(config.secretsEncryptionKeyHex, sealed);
    if ("problem" in opened) problem = opened.problem;
  }
  probed = { config, until: now + PROBE_EVERY_MS, problem };
  return problem;
}

/** The sentence /v1/health shows for a problem. */
export function describeSigningProblem(problem: SecretProblem): string {
  return `${SECRET_PROBLEM_TEXT[problem]}: keys created with hmac: true are refused (503 SIGNING_UNAVAILABLE)`;
}
