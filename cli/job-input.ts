// Jobs from the command line: a submit body from options, a batch from a file.
import { readFileSync } from "node:fs";
import type { BatchJob, Constraints, SubmitJob } from "../sdk";

/** A mistake in the command line or its input files (exit status 2). */
export class UsageError extends Error {}

export interface SubmitFlags {
  payload?: string;
  payloadFile?: string;
  constraints?: string;
  gpu?: string;
  cuda?: string;
  minVramGb?: string;
  models?: string;
  region?: string;
  maxPrice?: string;
  maxUnits?: string;
  priority?: string;
  ttl?: string;
  maxAttempts?: string;
}

export function submitBody(flags: SubmitFlags): SubmitJob {
  if ((flags.payload === undefined) === (flags.payloadFile === undefined)) {
    throw new UsageError("give the payload with exactly one of --payload JSON or --payload-file FILE");
  }
  const payload =
    flags.payload !== undefined ? parseJson(flags.payload, "--payload") : parseJson(readInput(flags.payloadFile!), flags.payloadFile!);
  if (!isObject(payload)) throw new UsageError("the payload must be a JSON object");
  const constraints: Constraints =
    flags.constraints === undefined ? {} : objectOf(parseJson(flags.constraints, "--constraints"), "--constraints");
  const set = <K extends keyof Constraints>(key: K, value: Constraints[K] | undefined) => {
    if (value !== undefined) constraints[key] = value;
  };
  set("gpu", flags.gpu);
  set("cuda", flags.cuda);
  set("min_vram_gb", number(flags.minVramGb, "--min-vram-gb"));
  set(
    "models",
    flags.models?.split(",").map((m) => m.trim()),
  );
  set("region", flags.region);
  set("max_price", number(flags.maxPrice, "--max-price"));
  set("max_units", number(flags.maxUnits, "--max-units"));
  const body: SubmitJob = { payload };
  if (Object.keys(constraints).length > 0) body.constraints = constraints;
  const priority = integer(flags.priority, "--priority");
  const ttl = integer(flags.ttl, "--ttl");
  const maxAttempts = integer(flags.maxAttempts, "--max-attempts");
  if (priority !== undefined) body.priority = priority;
  if (ttl !== undefined) body.ttl_seconds = ttl;
  if (maxAttempts !== undefined) body.max_attempts = maxAttempts;
  return body;
}

/** A batch file: a JSON array of submit bodies, or {jobs: [...]}. */
export function batchJobs(file: string): BatchJob[] {
  const document = parseJson(readInput(file), file);
  const jobs = Array.isArray(document) ? document : isObject(document) ? document.jobs : undefined;
  if (!Array.isArray(jobs) || !jobs.every(isObject)) throw new UsageError(`${file}: expected a JSON array of jobs, or {"jobs": [...]}`);
  return jobs as BatchJob[];
}

/** A file's text; "-" reads standard input. */
export function readInput(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} is not valid JSON`);
  }
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) throw new UsageError(`${what} must be a JSON object`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number`);
  return value;
}

export function integer(text: string | undefined, flag: string): number | undefined {
  const value = number(text, flag);
  if (value !== undefined && !Number.isInteger(value)) throw new UsageError(`${flag} must be an integer`);
  return value;
}
