// A miner as its region holds it, and what it advertises.

export const MINER_STATUSES = ["ONLINE", "DRAINING", "OFFLINE"] as const;
export type MinerStatus = (typeof MINER_STATUSES)[number];

export interface Capabilities {
  /** memory_mb is null when the miner could not read it (AITBC's GPU probe); such a GPU fits no min_vram_gb. */
  gpus?: { name: string; memory_mb: number | null; [extra: string]: unknown }[];
  cuda?: string;
  models?: string[];
  price?: number;
  [extra: string]: unknown;
}

export interface Miner {
  minerId: string;
  ownerId: string;
  region: string;
  status: MinerStatus;
  capabilities: Capabilities;
  concurrency: number;
  reported: Record<string, unknown> | null;
  registeredAt: number;
  lastSeenAt: number;
  /** Who asked for the drain that made it DRAINING; read only while DRAINING (absent: the miner itself). */
  drainedBy?: "miner" | "admin";
  /** When the miner's row was last written to D1. */
  updatedAt: number;
  version: number;
}
