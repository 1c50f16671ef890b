// The jobs each of a page of miners runs now, asked of the shard DOs that hold those miners (one RPC
// per shard, whatever the number of miners): the DO knows its leases at once, where D1 would have to
// read every job a miner ever ran.
import type { Config } from "../config";
import { isConfiguredShard, minerShard, shardName } from "../queue/shards";
import { regionStub } from "./region-stub";

/** Miner id → ids of its RUNNING jobs. A miner of a region no longer configured holds none. */
export async function heldJobsOf(env: Env, config: Config, miners: readonly { minerId: string; region: string }[]) {
  const byShard = new Map<string, { region: string; shard: number; minerIds: string[] }>();
  for (const { minerId, region } of miners) {
    const address = { region, shard: minerShard(minerId, config.shardsPerRegion) };
    if (!isConfiguredShard(address, config)) continue;
    const key = shardName(address);
    const entry = byShard.get(key) ?? { ...address, minerIds: [] };
    entry.minerIds.push(minerId);
    byShard.set(key, entry);
  }
  const answers = await Promise.all(
    [...byShard.values()].map(({ region, shard, minerIds }) => regionStub(env, config, region, shard).heldJobs(minerIds)),
  );
  return new Map(answers.flatMap((held) => Object.entries(held)));
}
