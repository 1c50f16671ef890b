import { setTimeout as sleep } from "node:timers/promises";
import { JobFailure, type Runner } from "./runner";

const MAX_SECONDS = 86_400;
/** Progress is reported this many times over a run (fewer for very short ones). */
const STEPS = 10;
const MIN_STEP_MS = 100;

/**
 * Simulates a GPU job: waits `payload.seconds` (default 1), reporting progress as it goes, and bills
 * those seconds as gpu_seconds. `payload.fail` (an error code) makes it fail at the end instead,
 * retryable when `payload.retryable` is true.
 */
export const sleepRunner: Runner = async (job, { signal, progress }) => {
  const { seconds = 1, fail, retryable = false } = job.payload;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SECONDS) {
    throw new JobFailure("BAD_PAYLOAD", `payload.seconds must be a number from 0 to ${MAX_SECONDS}`, false);
  }
  if (fail !== undefined && (typeof fail !== "string" || !/^[A-Z0-9_]{1,64}$/.test(fail))) {
    throw new JobFailure("BAD_PAYLOAD", "payload.fail must be an error code such as OUT_OF_MEMORY", false);
  }
  const totalMs = seconds * 1000;
  const steps = Math.max(1, Math.min(STEPS, Math.floor(totalMs / MIN_STEP_MS)));
  for (let step = 1; step <= steps; step++) {
    await sleep(totalMs / steps, undefined, { signal });
    progress(step / steps, `${((totalMs * step) / steps / 1000).toFixed(1)} of ${seconds} s`);
  }
  if (fail) throw new JobFailure(fail, `failed as the payload asked, after ${seconds} s`, retryable === true);
  return { result: { slept_seconds: seconds }, units: seconds };
};
