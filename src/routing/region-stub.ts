// The Worker's only door to the region Durable Objects: addressing one, and turning its refusals
// into API errors (the one place a refusal becomes an HTTP error).
import type { Config } from "../config";
import { ApiError, type ErrorCode } from "../http/errors";
import type { FieldProblem } from "../lib/json-limits";
import type { Outcome, Refusal } from "../queue/outcome";
import type { RegionCoordinator } from "../queue/region-coordinator";

/**
 * The RPC surface of a region DO, typed as the class declares it. Workers' RPC typing maps
 * `unknown` (as in JSON payloads) to never, which would erase the success branch of every
 * Outcome; the values themselves cross RPC as plain structured clones.
 */
export type RegionApi = Pick<
  RegionCoordinator,
  "enqueue" | "enqueueBatch" | "register" | "retire" | "heartbeat" | "drain" | "cancel" | "fail" | "poll" | "complete" | "watch" | "fetch"
>;

export function regionStub(env: Env, config: Config, region: string): RegionApi {
  const spec = config.regions.find((r) => r.name === region);
  const id = env.REGION_COORDINATOR.idFromName(`region:${region}`);
  const stub = env.REGION_COORDINATOR.get(id, spec?.locationHint ? { locationHint: spec.locationHint } : undefined);
  return stub as unknown as RegionApi;
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
  return new ApiError(code, refusal.message, refusal.code === "CONFLICT_STATE" ? conflictDetails(refusal) : undefined);
}

function conflictDetails({ conflict }: Extract<Refusal, { code: "CONFLICT_STATE" }>): FieldProblem[] | undefined {
  switch (conflict.on) {
    case "state":
      return [{ field: "state", issue: conflict.state }];
    case "miner_id":
      return [{ field: "miner_id", issue: "taken" }];
    case "result":
      return undefined;
  }
}
