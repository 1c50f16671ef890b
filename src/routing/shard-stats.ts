// Live figures of every configured shard, asked of the shard DOs themselves (one RPC each), for
// GET /v1/admin/stats and /metrics. D1 lags the DOs by at most one outbox flush; these do not.
import type { Config } from "../config";
import { regionStub } from "./region-stub";

export interface ShardStats {
  region: string;
  shard: number;
  queued: number;
  running: number;
  online_miners: number;
  oldest_queued_age_seconds: number | null;
  /** Jobs this shard took from other regions (spills) and from sibling shards (steals). */
  spilled_in: number;
  stolen_in: number;
  /** Jobs it handed over and the taker has not yet confirmed. */
  handoffs_pending: number;
}

export async function collectShardStats(env: Env, config: Config): Promise<ShardStats[]> {
  const addresses = config.regions.flatMap((r) =>
    Array.from({ length: config.shardsPerRegion }, (_, shard) => ({ region: r.name, shard })),
  );
  return Promise.all(
    addresses.map(async ({ region, shard }) => {
      const s = await regionStub(env, config, region, shard).shardStats();
      return {
        region,
        shard,
        queued: s.queued,
        running: s.running,
        online_miners: s.onlineMiners,
        oldest_queued_age_seconds: s.oldestQueuedAgeSeconds,
        spilled_in: s.spilledIn,
        stolen_in: s.stolenIn,
        handoffs_pending: s.handoffsPending,
      };
    }),
  );
}
