import { createApp } from "./app";

export { ReplayGuard } from "./auth/replay-guard";
export { RegionCoordinator } from "./queue/region-coordinator";

const app = createApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
