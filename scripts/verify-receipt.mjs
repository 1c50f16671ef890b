#!/usr/bin/env node
// Usage: node scripts/verify-receipt.mjs <receipt.json> [--keys <url or file>]
// Exit status: 0 valid, 1 invalid, 2 no verdict (usage or input error, or a crash: never 1).
import { formatReport, InputError, loadKeys, readJsonFile, verifyReceiptDocument } from "./receipt-verifier.mjs";

const USAGE = "usage: node scripts/verify-receipt.mjs <receipt.json> [--keys <url or file>]";

class UsageError extends InputError {}

function parseArgs(argv) {
  let file;
  let keys;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--keys") {
      keys = argv[++i];
      if (keys === undefined) throw new UsageError("--keys needs a url or a file");
    } else if (arg.startsWith("--keys=")) {
      keys = arg.slice("--keys=".length);
    } else if (arg.startsWith("-")) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (file === undefined) {
      file = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  if (file === undefined) throw new UsageError("a receipt file is required");
  return { file, keys };
}

async function main(argv) {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const { file, keys } = parseArgs(argv);
  const document = await readJsonFile(file);
  const trusted = keys === undefined ? null : await loadKeys(keys);
  const result = verifyReceiptDocument(document, trusted);
  console.log(formatReport(result));
  return result.valid ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof InputError) {
    console.error(`verify-receipt: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
  } else {
    console.error(error);
  }
  process.exitCode = 2;
}
