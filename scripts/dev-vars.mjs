// The dev vars file `npm start` creates when it is missing: .dev.vars.example with fresh random seeds
// (receipt signing and attestation, secrets box), and any settings a caller overrides.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const SEEDED = /^(RECEIPT_SIGNING_KEY_HEX|RECEIPT_ATTESTATION_KEY_HEX|SECRETS_ENCRYPTION_KEY_HEX)=[ \t]*$/gm;

/** The text of a fresh vars file; `overrides` (NAME → value) replace the example's lines or are appended. */
export function freshDevVars(root, overrides = {}) {
  let text = readFileSync(join(root, ".dev.vars.example"), "utf8").replace(
    SEEDED,
    (_, name) => `${name}=${randomBytes(32).toString("hex")}`,
  );
  for (const [name, value] of Object.entries(overrides)) {
    const line = new RegExp(`^${name}=.*$`, "m");
    text = line.test(text) ? text.replace(line, () => `${name}=${value}`) : `${text.trimEnd()}\n${name}=${value}\n`;
  }
  return text;
}
