import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { fnv1aHex } from "../../src/lib/hash";
import {
  isConfiguredShard,
  jobOrigin,
  minerShard,
  newShardJobId,
  otherRegionShards,
  parseShardName,
  shardName,
  siblingShards,
} from "../../src/queue/shards";

const config = parseConfig({ REGIONS: "eu-west:weur,us-east:enam", SHARDS_PER_REGION: "4" });

describe("shard names", () => {
  it("keeps shard 0 under the name a region's only DO always had", () => {
    expect(shardName({ region: "eu-west", shard: 0 })).toBe("region:eu-west");
    expect(shardName({ region: "eu-west", shard: 3 })).toBe("region:eu-west:3");
  });

  it("reads back every name it writes, and nothing else", () => {
    for (const shard of [0, 1, 17]) expect(parseShardName(shardName({ region: "us-east", shard }))).toEqual({ region: "us-east", shard });
    for (const other of [undefined, "", "principal:x", "region:", "region:EU", "region:eu:x"]) expect(parseShardName(other)).toBeNull();
  });

  it("knows which addresses are of the configured topology", () => {
    expect(isConfiguredShard({ region: "us-east", shard: 3 }, config)).toBe(true);
    expect(isConfiguredShard({ region: "us-east", shard: 4 }, config)).toBe(false);
    expect(isConfiguredShard({ region: "region-1234", shard: 0 }, config)).toBe(false);
  });
});

describe("job ids", () => {
  it("are 32 lower-case hex digits that name their region and shard", () => {
    for (const origin of [
      { region: "eu-west", shard: 0 },
      { region: "us-east", shard: 3 },
    ]) {
      const id = newShardJobId(origin);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id.startsWith(fnv1aHex(origin.region))).toBe(true);
      expect(jobOrigin(id, config)).toEqual(origin);
    }
  });

  it("name no shard for an id from before sharding or of a shard beyond the configured ones", () => {
    expect(jobOrigin("0".repeat(32), config)).toBeNull();
    expect(jobOrigin(newShardJobId({ region: "us-east", shard: 9 }), config)).toBeNull();
  });

  it("refuses two regions whose names hash alike, since ids could not tell them apart", () => {
    expect(fnv1aHex("r7wzx")).toBe(fnv1aHex("ra6cd"));
    expect(() => parseConfig({ REGIONS: "r7wzx,ra6cd" })).toThrow(/r7wzx.*hash alike|ra6cd.*hash alike/);
  });
});

describe("miners and neighbours", () => {
  it("puts a miner in one shard of its region, always the same", () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => minerShard(`miner-${i}`, 4)));
    expect([...shards].sort()).toEqual([0, 1, 2, 3]);
    expect(minerShard("miner-7", 4)).toBe(minerShard("miner-7", 4));
    expect(minerShard("anyone", 1)).toBe(0);
  });

  it("lists the sibling shards, starting after itself, and every shard of the other regions", () => {
    expect(siblingShards({ region: "eu-west", shard: 2 }, 4).map((s) => s.shard)).toEqual([3, 0, 1]);
    expect(siblingShards({ region: "eu-west", shard: 0 }, 1)).toEqual([]);
    expect(otherRegionShards({ region: "eu-west", shard: 1 }, config)).toEqual([0, 1, 2, 3].map((shard) => ({ region: "us-east", shard })));
  });
});
