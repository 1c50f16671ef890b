// The Worker's only door to the region Durable Objects: addressing one, and turning its refusals
// into API errors (the one place a refusal becomes an HTTP error).
import type { Config } from "../config";
import { ApiError, type ErrorCode } from "../http/errors";
import type { FieldProblem } from "../lib/json-limits";
import type { Outcome, Refusal } from "../queue/outcome";
import type { RegionCoordinator } from "../queue/region-coordinator";
import { isConfiguredShard, jobOrigin, minerShard, type ShardAddress, shardStub } from "../queue/shards";

/**
 * The RPC surface of a region DO, typed as the class declares it. Workers' RPC typing maps
 * `unknown` (as in JSON payloads) to never, which would erase the success branch of every
 * Outcome; the values themselves cross RPC as plain structured clones.
 */
export type RegionApi = Pick<
  RegionCoordinator,
  | "enqueue"
  | "enqueueBatch"
  | "register"
  | "retire"
  | "heartbeat"
  | "drain"
  | "cancel"
  | "fail"
  | "poll"
  | "complete"
  | "progress"
  | "watch"
  | "fetch"
  | "shardStats"
  | "minuteStats"
  | "heldJobs"
  | "drainByAdmin"
  | "undrainByAdmin"
>;

/** The DO of one shard of a region (shard 0 is the region's DO as it was before sharding). */
export function regionStub(env: Env, config: Config, region: string, shard = 0): RegionApi {
  return shardStub(env.REGION_COORDINATOR, config, { region, shard }) as unknown as RegionApi;
}

/** The shard DO that holds a miner: one of its region's, by a hash of its id. */
export function minerStub(env: Env, config: Config, minerId: string, region: string): RegionApi {
  return regionStub(env, config, region, minerShard(minerId, config.shardsPerRegion));
}

/**
 * The DO that holds a job: where D1 last saw it queued, else the shard its id names, else (ids from
 * before sharding) its region's shard 0. A job that has moved on since leaves a forwarding record
 * there, and that DO follows it.
 */
export function jobStub(env: Env, config: Config, job: JobWhereabouts): RegionApi {
  const home = jobHome(config, job);
  return regionStub(env, config, home.region, home.shard);
}

interface JobWhereabouts {
  jobId: string;
  region: string;
  queuedRegion: string | null;
  queuedShard: number | null;
}

export function jobHome(config: Config, job: JobWhereabouts): ShardAddress {
  const queued = job.queuedRegion === null ? null : { region: job.queuedRegion, shard: job.queuedShard ?? 0 };
  if (queued && isConfiguredShard(queued, config)) return queued;
  return jobOrigin(job.jobId, config) ?? { region: job.region, shard: 0 };
}

/** RPC wraps return types (stubs, Disposable); this recovers the success value's type. */
type SuccessValue<O> = O extends { ok: true; value: infer T } ? T : never;

export function unwrap<O extends Outcome<unknown>>(outcome: O): SuccessValue<O> {
  if (outcome.ok) return outcome.value as SuccessValue<O>;
  throw refusalError(outcome as Refusal);
}

export function refusalError(refusal: Refusal): ApiError {
  // Every code a region can refuse with is a code of the error table, or this does not compile.
  const code: ErrorCode = refusal.code;
  return new ApiError(code, refusal.message, refusalDetails(refusal));
}

function refusalDetails(refusal: Refusal): FieldProblem[] | undefined {
  if (refusal.code === "CONFLICT_STATE") return conflictDetails(refusal);
  if (refusal.code === "PAYLOAD_TOO_LARGE") return [{ field: refusal.field, issue: refusal.message }];
  return undefined;
}

function conflictDetails({ conflict }: Extract<Refusal, { code: "CONFLICT_STATE" }>): FieldProblem[] | undefined {
  switch (conflict.on) {
    case "state":
      return [{ field: "state", issue: conflict.state }];
    case "miner_id":
      return [{ field: "miner_id", issue: "taken" }];
    case "status":
      return [{ field: "status", issue: conflict.status }];
    case "result":
      return undefined;
  }
}
