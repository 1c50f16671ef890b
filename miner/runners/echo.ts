import type { Runner } from "./runner";

/** Answers the payload as it came: `{echo: payload}`. */
export const echoRunner: Runner = async (job) => ({ result: { echo: job.payload } });
