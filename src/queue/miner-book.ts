// The miners of one region as its Durable Object holds them: registration, status and liveness.
// Any call from a miner is a sign of life: it brings the miner back ONLINE and keeps the leases of
// every job it runs, so a lease expires only after HEARTBEAT_TIMEOUT_SECONDS of silence. A lease row
// is re-dated only once a third of the timeout has passed since it was last (so a busy miner's calls
// do not rewrite every job it runs each second); a row that falls due while its miner has shown life
// since is re-dated by the alarm instead of lost (renewIfAlive).
import { newSessionToken } from "../lib/ids";
import type { Capabilities, Miner } from "../model/miner";
import { minerRow } from "./d1-rows";
import { conflict, type Outcome, refuse, success } from "./outcome";
import type { Store } from "./store";

export interface Registration {
  minerId: string;
  ownerId: string;
  region: string;
  capabilities: Capabilities;
  concurrency: number;
  /** The miner's last row version in the region it left, so this registration's row outranks it in D1. */
  previousVersion?: number;
}

const PUBLISH_INTERVAL_MS = 60_000;
const LIVENESS_RESOLUTION_MS = 1000;
/** A sign of life re-dates a lease row once less than this share of the heartbeat timeout is left on it. */
const RENEW_BELOW_SHARE = 2 / 3;

export const minerNotFound = () => refuse("MINER_NOT_FOUND", "miner not registered for this key; register first");
const minerUnknown = () => refuse("MINER_NOT_FOUND", "no miner has this id in its region");

export class MinerBook {
  constructor(
    private readonly store: Store,
    private readonly heartbeatTimeoutMs: number,
  ) {}

  register(input: Registration, now: number): Outcome<{ miner: Miner; sessionToken: string }> {
    const existing = this.store.miners.get(input.minerId);
    if (existing && existing.ownerId !== input.ownerId) {
      return conflict("miner_id is registered by another key", { on: "miner_id" });
    }
    const { previousVersion = 0, ...fields } = input;
    const miner: Miner = {
      ...fields,
      status: "ONLINE",
      reported: existing?.reported ?? null,
      registeredAt: existing?.registeredAt ?? now,
      lastSeenAt: now,
      updatedAt: now,
      // Versions guard the miner's D1 row, which every region writes: a registration starts at the
      // clock (ms) so one in a new region outranks the rows the old region wrote before it.
      version: Math.max((existing?.version ?? 0) + 1, previousVersion + 1, now),
    };
    const sessionToken = newSessionToken();
    this.store.miners.put(miner);
    this.renewLeases(miner.minerId, now);
    this.store.outbox.append([
      { kind: "miner", row: minerRow(miner) },
      { kind: "miner_session", row: { sessionToken, minerId: miner.minerId, region: miner.region, registeredAt: now } },
    ]);
    return success({ miner, sessionToken });
  }

  heartbeat(
    minerId: string,
    ownerId: string,
    reported: Record<string, unknown>,
    now: number,
  ): Outcome<{ cancel: string[]; drain: boolean }> {
    const miner = this.owned(minerId, ownerId);
    if (!miner) return minerNotFound();
    const touched = this.touch({ ...miner, reported }, now);
    // Admins read last_seen_at and the reports from D1: refresh them there at most once a minute.
    if (now - touched.updatedAt >= PUBLISH_INTERVAL_MS) this.save(touched, now);
    return success({ cancel: this.store.miners.takePendingCancels(minerId), drain: miner.status === "DRAINING" });
  }

  drain(minerId: string, ownerId: string, now: number): Outcome<Miner> {
    const miner = this.owned(minerId, ownerId);
    if (!miner) return minerNotFound();
    const touched = this.touch(miner, now);
    return success(this.save({ ...touched, status: "DRAINING", drainedBy: "miner" }, now));
  }

  /**
   * An admin's drain: the miner's own drain (no new work, heartbeats answer drain: true, registering
   * again ends it), though not a sign of life of the miner. An OFFLINE miner cannot be drained.
   */
  drainByAdmin(minerId: string, now: number): Outcome<Miner> {
    const miner = this.store.miners.get(minerId);
    if (!miner) return minerUnknown();
    if (miner.status === "OFFLINE") return conflict("an OFFLINE miner cannot be drained", { on: "status", status: "OFFLINE" });
    if (miner.status === "DRAINING") return success(miner);
    return success(this.save({ ...miner, status: "DRAINING", drainedBy: "admin" }, now));
  }

  /** Ends an admin's drain: ONLINE again, or OFFLINE if it went quiet meanwhile. A miner's own drain stays (409). */
  undrainByAdmin(minerId: string, now: number): Outcome<Miner> {
    const miner = this.store.miners.get(minerId);
    if (!miner) return minerUnknown();
    if (miner.status !== "DRAINING") return success(miner);
    if (miner.drainedBy !== "admin") {
      return conflict("the miner drained itself; it takes work again once it registers again", { on: "status", status: "DRAINING" });
    }
    const { drainedBy: _, ...undrained } = miner;
    const alive = now - miner.lastSeenAt < this.heartbeatTimeoutMs;
    return success(this.save({ ...undrained, status: alive ? "ONLINE" : "OFFLINE" }, now));
  }

  /** Miners with a parked long-poll are alive while they wait. */
  keepAlive(minerIds: readonly string[], now: number): void {
    for (const minerId of minerIds) {
      const miner = this.store.miners.get(minerId);
      if (miner) this.touch(miner, now);
    }
  }

  /**
   * For a lease row that has fallen due: if its miner has shown life within the heartbeat timeout, the
   * miner's leases are re-dated to lapse a timeout after that sign of life, and the answer is true.
   */
  renewIfAlive(minerId: string, now: number): boolean {
    const miner = this.store.miners.get(minerId);
    const lapsesAt = miner ? miner.lastSeenAt + this.heartbeatTimeoutMs : now;
    if (lapsesAt <= now) return false;
    this.store.renewLeases(minerId, lapsesAt, lapsesAt);
    return true;
  }

  /** At most `limit` miners per call, so a mass silence never stalls the region; the next tick takes the rest. */
  markSilentOffline(now: number, limit: number): void {
    for (const miner of this.store.miners.silentSince(now - this.heartbeatTimeoutMs, limit)) {
      this.save({ ...miner, status: "OFFLINE" }, now);
    }
  }

  /** Drops the miner; answers the version of its row, which its next region must outrank. */
  forget(minerId: string): number | null {
    const version = this.store.miners.get(minerId)?.version ?? null;
    this.store.miners.delete(minerId);
    return version;
  }

  /** The miner, if this key registered it; another key's miner is as unknown as a missing one. */
  owned(minerId: string, ownerId: string): Miner | null {
    const miner = this.store.miners.get(minerId);
    return miner && miner.ownerId === ownerId ? miner : null;
  }

  /**
   * A sign of life. Within LIVENESS_RESOLUTION_MS of the last one it writes nothing, so a burst of
   * polls and heartbeats costs no storage writes; a lease then expires at most that much earlier.
   */
  touch(miner: Miner, now: number): Miner {
    const revived = miner.status === "OFFLINE";
    if (!revived && now - miner.lastSeenAt < LIVENESS_RESOLUTION_MS) return miner;
    let touched: Miner = { ...miner, status: revived ? "ONLINE" : miner.status, lastSeenAt: now };
    if (revived) touched = this.save(touched, now);
    else this.store.miners.put(touched);
    this.renewLeases(miner.minerId, now);
    return touched;
  }

  /** Stores the miner and queues its row for D1, with a new version. */
  private save(miner: Miner, now: number): Miner {
    const saved = { ...miner, version: miner.version + 1, updatedAt: now };
    this.store.miners.put(saved);
    this.store.outbox.append([{ kind: "miner", row: minerRow(saved) }]);
    return saved;
  }

  private renewLeases(minerId: string, now: number): void {
    this.store.renewLeases(minerId, now + this.heartbeatTimeoutMs, now + this.heartbeatTimeoutMs * RENEW_BELOW_SHARE);
  }
}
