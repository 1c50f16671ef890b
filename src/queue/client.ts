// The Worker's only door to the region Durable Objects: addressing, and turning their
// refusals into API errors.
import type { Config } from "../config";
import { ApiError, isErrorCode } from "../http/errors";
import type { Outcome, Refusal } from "../lib/outcome";
import type { RegionCoordinator } from "./region-coordinator";

/**
 * The RPC surface of a region DO, typed as the class declares it. Workers' RPC typing maps
 * `unknown` (as in JSON payloads) to never, which would erase the success branch of every
 * Outcome; the values themselves cross RPC as plain structured clones.
 */
export type RegionApi = Pick<
  RegionCoordinator,
  "enqueue" | "register" | "retire" | "heartbeat" | "drain" | "cancel" | "fail" | "poll" | "complete" | "watch" | "fetch"
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
  const refusal = outcome as Refusal;
  if (!isErrorCode(refusal.code)) throw new Error(`region coordinator refused with unknown code ${refusal.code}`);
  throw new ApiError(refusal.code, refusal.message, refusal.details);
}
