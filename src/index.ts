import { createApp } from "./app";

export { RegionCoordinator } from "./queue/region-coordinator";

const app = createApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
