// Pure matching rules (docs/api.md, "Matching"): a job fits a miner when every constraint it sets holds;
// among fitting jobs the highest priority wins, then the oldest.
import type { Constraints } from "../model/job";
import type { Capabilities } from "../model/miner";

export interface MatchableMiner {
  region: string;
  capabilities: Capabilities;
}

export interface QueueHead {
  jobId: string;
  priority: number;
  requestedAt: number;
}

/** "12" fits "12.3" and "12", but not "120" or "11.8". */
export function cudaCompatible(required: string, reported: string | undefined): boolean {
  if (reported === undefined) return false;
  const want = required.split(".");
  const have = reported.split(".");
  return want.length <= have.length && want.every((part, i) => part === have[i]);
}

export function fits(constraints: Constraints, miner: MatchableMiner): boolean {
  const caps = miner.capabilities;
  const gpus = caps.gpus ?? [];
  if (constraints.region !== undefined && constraints.region !== miner.region) return false;
  if (constraints.gpu !== undefined && !gpus.some((g) => g.name === constraints.gpu)) return false;
  if (constraints.min_vram_gb !== undefined) {
    const needMb = constraints.min_vram_gb * 1024;
    if (!gpus.some((g) => g.memory_mb !== null && g.memory_mb >= needMb)) return false;
  }
  if (constraints.cuda !== undefined && !cudaCompatible(constraints.cuda, caps.cuda)) return false;
  if (constraints.models !== undefined) {
    const have = new Set(caps.models ?? []);
    if (!constraints.models.every((m) => have.has(m))) return false;
  }
  if (constraints.max_price !== undefined && constraints.max_price < (caps.price ?? 0)) return false;
  return true;
}

/** Orders candidates best first: highest priority, then oldest, then job id for a stable tie-break. */
export function compareQueueOrder(a: QueueHead, b: QueueHead): number {
  return b.priority - a.priority || a.requestedAt - b.requestedAt || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0);
}

export function pickBest<T extends QueueHead>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) if (best === undefined || compareQueueOrder(c, best) < 0) best = c;
  return best;
}

/**
 * Jobs with equal constraints share one queue class, so a poll looks at the head of each class
 * whose constraints fit instead of scanning every queued job.
 */
export function constraintClassKey(constraints: Constraints): string {
  const entries = Object.entries(constraints)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}
