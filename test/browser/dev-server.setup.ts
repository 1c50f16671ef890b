// One real dev server (scripts/dev-server.mjs: throwaway state and vars, wrangler.toml's rate
// limits) for every file of the browser project: starting one takes most of the project's time.
import type { TestProject } from "vitest/node";
import { startDevServer } from "../../scripts/dev-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    devServer: { base: string; vars: Record<string, string> };
  }
}

export default async function setup(project: TestProject) {
  const server = await startDevServer();
  project.provide("devServer", { base: server.base, vars: server.vars });
  return () => server.stop();
}
