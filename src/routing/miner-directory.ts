// Which region holds a miner, remembered per isolate so a poll or heartbeat reaches its region's
// DO without touching D1 after the first call. The DO stays the authority: when it answers
// MINER_NOT_FOUND the entry is dropped and looked up again.
import type { Principal } from "../auth/principal";
import type { Config } from "../config";
import { createDb } from "../db/client";
import { minerIdsOfOwner, minerPlacement } from "../db/queries/miners";
import { ApiError } from "../http/errors";
import type { Outcome } from "../queue/outcome";
import { minerStub, type RegionApi, unwrap } from "./region-stub";

interface Placement {
  ownerId: string;
  region: string;
}

const OWNER_LIST_TTL_MS = 30_000;
const placements = new Map<string, Placement>();
const minersByOwner = new Map<string, { ids: string[]; until: number }>();

export function rememberMiner(minerId: string, ownerId: string, region: string): void {
  placements.set(minerId, { ownerId, region });
  minersByOwner.delete(ownerId);
}

export function forgetMiner(minerId: string): void {
  placements.delete(minerId);
}

export async function findPlacement(d1: D1Database, minerId: string): Promise<Placement | null> {
  const cached = placements.get(minerId);
  if (cached) return cached;
  const row = await minerPlacement(createDb(d1), minerId);
  if (row) placements.set(minerId, row);
  return row ?? null;
}

async function ownedMinerIds(d1: D1Database, ownerId: string, now: number): Promise<string[]> {
  const cached = minersByOwner.get(ownerId);
  if (cached && cached.until > now) return cached.ids;
  const ids = await minerIdsOfOwner(createDb(d1), ownerId, 2);
  minersByOwner.set(ownerId, { ids, until: now + OWNER_LIST_TTL_MS });
  return ids;
}

/** X-Miner-Id names the miner; without it a key that runs exactly one miner means that one. */
export async function resolveMiner(d1: D1Database, principal: Principal, header: string | undefined, now = Date.now()) {
  let minerId = header;
  if (minerId === undefined) {
    const owned = await ownedMinerIds(d1, principal.id, now);
    if (owned.length > 1) {
      throw new ApiError("INVALID_PAYLOAD", "this key runs several miners; name one in X-Miner-Id", [
        { field: "x-miner-id", issue: "required when a key runs several miners" },
      ]);
    }
    minerId = owned[0] ?? principal.id;
  }
  const placement = await findPlacement(d1, minerId);
  if (!placement || placement.ownerId !== principal.id) {
    throw new ApiError("MINER_NOT_FOUND", "miner not registered for this key; register first");
  }
  return { minerId, region: placement.region };
}

/**
 * Runs a call on the shard DO of the miner `locate` finds (through the cached placements). A cached
 * placement can be stale (the miner re-registered elsewhere through another isolate), so a
 * MINER_NOT_FOUND answer drops it and looks the miner up once more.
 */
export async function callMiner<T>(
  env: Env,
  config: Config,
  locate: () => Promise<{ minerId: string; region: string }>,
  call: (stub: RegionApi, minerId: string) => Promise<Outcome<T>>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const { minerId, region } = await locate();
    const outcome = await call(minerStub(env, config, minerId, region), minerId);
    if (outcome.ok || outcome.code !== "MINER_NOT_FOUND" || attempt > 0) return unwrap(outcome);
    forgetMiner(minerId);
  }
}
