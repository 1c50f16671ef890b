// Where a job or a miner lives: regions are split into SHARDS_PER_REGION Durable Objects. Pure
// addressing, shared by the Worker (routing) and the region DOs (stealing, spilling, forwarding).
import type { Config } from "../config";
import { fnv1aHex } from "../lib/hash";
import { newJobId } from "../lib/ids";

export interface ShardAddress {
  region: string;
  shard: number;
}

/** Shard 0 keeps the name a region's only DO always had, so state from before sharding stays in use. */
export function shardName({ region, shard }: ShardAddress): string {
  return shard === 0 ? `region:${region}` : `region:${region}:${shard}`;
}

export function parseShardName(name: string | undefined): ShardAddress | null {
  const match = /^region:([a-z0-9-]+)(?::(\d+))?$/.exec(name ?? "");
  return match ? { region: match[1]!, shard: Number(match[2] ?? 0) } : null;
}

export const sameShard = (a: ShardAddress, b: ShardAddress): boolean => a.region === b.region && a.shard === b.shard;

/** A miner belongs to one shard of its region, by a hash of its id. */
export function minerShard(minerId: string, shardsPerRegion: number): number {
  return Number.parseInt(fnv1aHex(minerId), 16) % shardsPerRegion;
}

/** The other shards of the same region, starting after `self` so that siblings spread their asks. */
export function siblingShards(self: ShardAddress, shardsPerRegion: number): ShardAddress[] {
  return Array.from({ length: shardsPerRegion - 1 }, (_, i) => ({ region: self.region, shard: (self.shard + 1 + i) % shardsPerRegion }));
}

/** Every shard of every other configured region. */
export function otherRegionShards(self: ShardAddress, config: Pick<Config, "regions" | "shardsPerRegion">): ShardAddress[] {
  return config.regions
    .filter((r) => r.name !== self.region)
    .flatMap((r) => Array.from({ length: config.shardsPerRegion }, (_, shard) => ({ region: r.name, shard })));
}

/** True when the address is one of the configured topology (test DOs with other names stay alone). */
export function isConfiguredShard(address: ShardAddress, config: Pick<Config, "regions" | "shardsPerRegion">): boolean {
  return address.shard < config.shardsPerRegion && config.regions.some((r) => r.name === address.region);
}

/**
 * A job id names the shard it was submitted to: 8 hex digits of the region name's hash, 2 of the
 * shard number, then 22 random ones (88 bits). Still 32 lower-case hex digits like every job id.
 */
export function newShardJobId(origin: ShardAddress): string {
  return newJobId(fnv1aHex(origin.region) + origin.shard.toString(16).padStart(2, "0"));
}

/** The shard a job id was submitted to, or null for ids from before sharding (or unknown regions). */
export function jobOrigin(jobId: string, config: Pick<Config, "regions" | "shardsPerRegion">): ShardAddress | null {
  const region = config.regions.find((r) => jobId.startsWith(fnv1aHex(r.name)));
  const shard = Number.parseInt(jobId.slice(8, 10), 16);
  return region && shard < config.shardsPerRegion ? { region: region.name, shard } : null;
}

/** The RPC surface of a region DO, addressed by shard. */
export function shardStub<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  config: Pick<Config, "regions">,
  address: ShardAddress,
): DurableObjectStub<T> {
  const hint = config.regions.find((r) => r.name === address.region)?.locationHint;
  return namespace.get(namespace.idFromName(shardName(address)), hint ? { locationHint: hint } : undefined);
}
