// What a region's Durable Object answers. Expected refusals are values typed by their code (an
// Error's own properties do not survive RPC, so a throw from the DO always means a bug); the Worker
// turns each into its HTTP error in one place (src/routing/region-stub.ts).
import type { JobState } from "../model/job";
import type { MinerStatus } from "../model/miner";

/** What a CONFLICT_STATE refusal conflicts with. */
export type Conflict =
  /** The job's state forbids the command. */
  | { on: "state"; state: JobState }
  /** The job was already completed with another result. */
  | { on: "result" }
  /** Another key registered this miner id. */
  | { on: "miner_id" }
  /** The miner's status forbids the admin's command. */
  | { on: "status"; status: MinerStatus };

export type Refusal =
  | { ok: false; code: "JOB_NOT_FOUND" | "MINER_NOT_FOUND" | "LEASE_LOST"; message: string }
  | { ok: false; code: "CONFLICT_STATE"; message: string; conflict: Conflict }
  /** The job cannot store what the request asks to add; `field` names what is too large. */
  | { ok: false; code: "PAYLOAD_TOO_LARGE"; message: string; field: string };

export type Outcome<T> = { ok: true; value: T } | Refusal;

export const success = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const refuse = (code: "JOB_NOT_FOUND" | "MINER_NOT_FOUND" | "LEASE_LOST", message: string): Refusal => ({
  ok: false,
  code,
  message,
});

export const conflict = (message: string, on: Conflict): Refusal => ({ ok: false, code: "CONFLICT_STATE", message, conflict: on });

export const tooLarge = (field: string, message: string): Refusal => ({ ok: false, code: "PAYLOAD_TOO_LARGE", message, field });
