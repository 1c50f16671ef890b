// The client CLI: `npm run client -- <command> [options]` (docs/clients.md). Every call goes through
// the SDK (sdk/), so it retries, signs and verifies exactly as the SDK does.
import { Command, CommanderError, Option } from "commander";
import { ConnectionError, CoordinatorClient, CoordinatorError, type JobState, type JobView } from "../sdk";
import { EXIT, exitForState } from "./exit-codes";
import { batchJobs, integer, parseJson, readInput, type SubmitFlags, submitBody, UsageError } from "./job-input";
import { batchLine, detailsText, jobLines, jobRow, json, receiptLines, verdictLines } from "./output";
import { followJob } from "./watch";

interface GlobalFlags {
  url?: string;
  key?: string;
  hmacSecret?: string;
  json?: boolean;
  retries?: string;
}

const print = (text: string) => process.stdout.write(`${text}\n`);

function connect(command: Command, { needsKey = true } = {}): { client: CoordinatorClient; asJson: boolean } {
  const flags = command.optsWithGlobals<GlobalFlags>();
  if (!flags.url) throw new UsageError("give the coordinator's URL with --url or COORDINATOR_URL");
  if (needsKey && !flags.key) throw new UsageError("give a client API key with --key or API_KEY");
  const retries = integer(flags.retries, "--retries");
  const client = new CoordinatorClient({
    baseUrl: flags.url,
    ...(flags.key ? { apiKey: flags.key } : {}),
    ...(flags.hmacSecret ? { hmacSecret: flags.hmacSecret } : {}),
    ...(retries === undefined ? {} : { retry: { retries } }),
  });
  return { client, asJson: flags.json === true };
}

/** Follows a job to its final state and prints its view; the exit status says which state. */
async function waitAndReport(client: CoordinatorClient, jobId: string, asJson: boolean): Promise<number> {
  const { job, state } = await followJob(client, jobId, asJson ? "none" : "human");
  print(asJson ? json(job) : jobLines(job));
  return exitForState(state);
}

const program = new Command("client")
  .description("edge-coordinator client: submit jobs, follow them, fetch and verify their results")
  .addOption(new Option("--url <url>", "the coordinator, e.g. http://127.0.0.1:8787").env("COORDINATOR_URL"))
  .addOption(new Option("--key <key>", "a client API key").env("API_KEY"))
  .addOption(new Option("--hmac-secret <secret>", "the key's HMAC secret: sign every request").env("API_HMAC_SECRET"))
  .option("--json", "print JSON for scripts instead of text")
  .option("--retries <n>", "attempts after the first for calls safe to repeat (default 4)")
  .exitOverride()
  .showHelpAfterError();

program
  .command("submit")
  .description("submit a job")
  .option("--payload <json>", "the job's payload, a JSON object")
  .option("--payload-file <file>", "read the payload from a file ('-': standard input)")
  .option("--constraints <json>", "constraints as a JSON object (the flags below add to it)")
  .option("--gpu <name>", "GPU model the miner must have")
  .option("--cuda <version>", "CUDA version prefix, e.g. 12 or 12.4")
  .option("--min-vram-gb <n>", "memory of one GPU, at least")
  .option("--models <list>", "comma-separated models the miner must serve")
  .option("--region <region>", "run only in this region")
  .option("--max-price <n>", "highest price per unit")
  .option("--max-units <n>", "most units a receipt may bill")
  .option("--priority <n>", "-100..100 (default 0)")
  .option("--ttl <seconds>", "seconds before the job expires (default: the coordinator's)")
  .option("--max-attempts <n>", "1..10 (default 3)")
  .option("--idempotency-key <key>", "default: a new one (printed), reused by retries")
  .option("--wait", "follow the job to its final state; the exit status says which")
  .action(async (flags: SubmitFlags & { idempotencyKey?: string; wait?: boolean }, command: Command) => {
    const body = submitBody(flags);
    const { client, asJson } = connect(command);
    const { job, replayed, idempotencyKey } = await client.jobs.submit(
      body,
      flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {},
    );
    if (!flags.wait) {
      print(
        asJson
          ? json(job)
          : `${replayed ? "already submitted" : "submitted"}: job ${job.job_id} ${job.state} (idempotency key ${idempotencyKey})`,
      );
      return;
    }
    if (!asJson)
      process.stderr.write(`${replayed ? "already submitted" : "submitted"}: job ${job.job_id} (idempotency key ${idempotencyKey})\n`);
    process.exitCode = await waitAndReport(client, job.job_id, asJson);
  });

program
  .command("batch <file>")
  .description("submit up to 100 jobs from a JSON file: an array of submit bodies, or {jobs: [...]}")
  .action(async (file: string, _flags: unknown, command: Command) => {
    const jobs = batchJobs(file);
    const { client, asJson } = connect(command);
    const answer = await client.jobs.submitBatch(jobs);
    print(asJson ? json(answer) : answer.items.map(batchLine).join("\n"));
    if (answer.items.some((item) => item.status >= 400)) process.exitCode = EXIT.NEGATIVE;
  });

program
  .command("get <job_id>")
  .description("show a job")
  .action(async (jobId: string, _flags: unknown, command: Command) => {
    const { client, asJson } = connect(command);
    const job = await client.jobs.get(jobId);
    print(asJson ? json(job) : jobLines(job));
  });

program
  .command("list")
  .description("list your jobs, newest first")
  .option("--state <state>", "only jobs in this state")
  .option("--limit <n>", "jobs per page")
  .option("--cursor <cursor>", "the page after this cursor (next_cursor of the last page)")
  .option("--all", "every page")
  .action(async (flags: { state?: string; limit?: string; cursor?: string; all?: boolean }, command: Command) => {
    const { client, asJson } = connect(command);
    const query = {
      ...(flags.state ? { state: flags.state as JobState } : {}),
      ...(flags.limit ? { limit: integer(flags.limit, "--limit")! } : {}),
    };
    if (flags.all) {
      const jobs: JobView[] = [];
      for await (const job of client.jobs.all(query)) jobs.push(job);
      print(asJson ? json(jobs) : jobs.map(jobRow).join("\n"));
      return;
    }
    const page = await client.jobs.list({ ...query, ...(flags.cursor ? { cursor: flags.cursor } : {}) });
    if (asJson) {
      print(json(page));
      return;
    }
    if (page.items.length > 0) print(page.items.map(jobRow).join("\n"));
    if (page.next_cursor) print(`more: --cursor ${page.next_cursor}`);
  });

program
  .command("watch <job_id>")
  .description("follow a job: states and progress on stderr, its output on stdout; the exit status says how it ended")
  .action(async (jobId: string, _flags: unknown, command: Command) => {
    const { client, asJson } = connect(command);
    process.exitCode = exitForState((await followJob(client, jobId, asJson ? "json" : "human")).state);
  });

program
  .command("result <job_id>")
  .description("print a completed job's result and receipt")
  .action(async (jobId: string, _flags: unknown, command: Command) => {
    const { client, asJson } = connect(command);
    const answer = await client.jobs.result(jobId);
    print(asJson ? json(answer) : [json(answer.result), answer.receipt ? receiptLines(answer.receipt) : "no receipt"].join("\n"));
  });

program
  .command("cancel <job_id>")
  .description("cancel a queued or running job")
  .action(async (jobId: string, _flags: unknown, command: Command) => {
    const { client, asJson } = connect(command);
    const job = await client.jobs.cancel(jobId);
    print(asJson ? json(job) : jobLines(job));
  });

program
  .command("receipt <job_id>")
  .description("print a job's latest receipt (--all: every receipt, oldest first)")
  .option("--all", "every receipt of the job")
  .action(async (jobId: string, flags: { all?: boolean }, command: Command) => {
    const { client, asJson } = connect(command);
    const receipts = flags.all ? (await client.jobs.receipts(jobId, { limit: 100 })).items : [await client.jobs.receipt(jobId)];
    if (asJson) print(json(flags.all ? receipts : receipts[0]));
    else print(receipts.map(receiptLines).join("\n"));
  });

program
  .command("verify <file>")
  .description("verify a receipt, or a {result, receipt} file, against the coordinator's published keys")
  .action(async (file: string, _flags: unknown, command: Command) => {
    const document = parseJson(readInput(file), file);
    const { client, asJson } = connect(command, { needsKey: false });
    const verdict = await client.receipts.verify(document);
    print(asJson ? json(verdict) : verdictLines(verdict));
    process.exitCode = verdict.valid ? EXIT.OK : EXIT.NEGATIVE;
  });

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = exitStatusOf(error);
}

function exitStatusOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.USAGE;
  }
  if (error instanceof CoordinatorError) {
    const requestId = error.requestId ? ` [request ${error.requestId}]` : "";
    process.stderr.write(`error: ${error.status} ${error.code}: ${error.message}${detailsText(error.details)}${requestId}\n`);
    return EXIT.REFUSED;
  }
  if (error instanceof ConnectionError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.UNREACHABLE;
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.INTERNAL;
}
