import type { MinerOptions } from "../options";
import { echoRunner } from "./echo";
import type { Runner } from "./runner";
import { shellRunner } from "./shell";
import { sleepRunner } from "./sleep";

export function runnerFor(options: Pick<MinerOptions, "runner" | "command" | "timeoutSeconds">): Runner {
  switch (options.runner) {
    case "echo":
      return echoRunner;
    case "sleep":
      return sleepRunner;
    case "shell":
      return shellRunner(options.command!, options.timeoutSeconds);
  }
}
