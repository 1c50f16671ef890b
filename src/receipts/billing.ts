// The billing facts a receipt signs. A miner's metrics are claims; the coordinator signs only what
// it can stand behind: the price agreed when the job was leased, its own clock for the times, and
// no more units than it can bound. Claims beyond a bound are capped, not refused, so an honest miner
// whose figures are a little off (or AITBC's, which sends no lease id and posts at once) still gets
// its receipt. The rules, field by field, are in docs/receipts.md ("Billing facts").
import type { LeaseTerms, Metrics } from "../model/job";
import type { Capabilities } from "../model/miner";
import { DEFAULT_UNIT_TYPE } from "./build";

/**
 * Added to the measured lease time before it bounds gpu_seconds, so that clock granularity and a job
 * finished within milliseconds of its lease do not cap an honest report of, say, 1 unit to 0.
 */
export const GPU_SECONDS_TOLERANCE_MS = 1000;

/** The terms a lease fixes, from the miner's registration at that moment. */
export function leaseTerms(capabilities: Capabilities): LeaseTerms {
  return { price: capabilities.price ?? 0, gpus: Math.max(1, capabilities.gpus?.length ?? 0) };
}

export interface BillingInput {
  terms: LeaseTerms;
  leaseStartedAtMs: number;
  completedAtMs: number;
  /** The client's `constraints.max_units`. */
  maxUnits: number | undefined;
  reported: Metrics;
}

export interface BillingFacts {
  price: number;
  units: number;
  unitType: string;
  startedAtMs: number;
  completedAtMs: number;
}

/**
 * The most units a receipt may bill. gpu_seconds: (lease time + tolerance) × GPUs, and no more than
 * max_units when the client set it. Any other unit type: max_units, or 0 without it, because the
 * coordinator cannot measure it and the client agreed to no cap.
 */
export function unitsBound(unitType: string, terms: LeaseTerms, durationMs: number, maxUnits: number | undefined): number {
  if (unitType !== DEFAULT_UNIT_TYPE) return maxUnits ?? 0;
  const measured = ((durationMs + GPU_SECONDS_TOLERANCE_MS) * terms.gpus) / 1000;
  return maxUnits === undefined ? measured : Math.min(measured, maxUnits);
}

export function billingFacts(input: BillingInput): BillingFacts {
  const { terms, completedAtMs, maxUnits, reported } = input;
  // A clock that stepped back between lease and completion must not make a negative duration.
  const startedAtMs = Math.min(input.leaseStartedAtMs, completedAtMs);
  const durationMs = completedAtMs - startedAtMs;
  const unitType = reported.unit_type ?? DEFAULT_UNIT_TYPE;
  const claimed = reported.units ?? (unitType === DEFAULT_UNIT_TYPE ? durationMs / 1000 : 0);
  return {
    price: terms.price,
    units: Math.min(claimed, unitsBound(unitType, terms, durationMs, maxUnits)),
    unitType,
    startedAtMs,
    completedAtMs,
  };
}
