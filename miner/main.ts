// `npm run miner -- --url URL --key KEY [options]`: the reference miner (docs/miners.md).
// SIGINT or SIGTERM drains it (running jobs finish and report, then it exits 0); a second one stops
// it at once (running jobs are reported as retryable failures, exit 1).
import { CoordinatorClient } from "../sdk";
import { describeFailure } from "./calls";
import { Miner } from "./miner";
import { readOptions, USAGE, UsageError } from "./options";
import { runnerFor } from "./runners";
import { StatusLine } from "./status-line";

function main(): Promise<number> | number {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`miner: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  // The miner decides when to try again (miner.ts), so the SDK sends each call once.
  const client = new CoordinatorClient({
    baseUrl: options.url,
    apiKey: options.key,
    hmacSecret: options.hmacSecret,
    retry: { retries: 0 },
  });
  const status = new StatusLine(process.stdout);
  const miner = new Miner(options, client, runnerFor(options), status);
  let signals = 0;
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      if (++signals === 1) miner.drain(name);
      else miner.stopNow();
    });
  }
  return miner.run().catch((error: unknown) => {
    status.note(`miner: stopped: ${describeFailure(error)}`);
    status.close();
    return 1;
  });
}

process.exit(await main());
