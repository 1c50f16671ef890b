// Durable Object RPC methods return expected refusals as values: an Error's own properties
// do not survive the RPC boundary, so a throw from the DO always means a bug.
export type Refusal = {
  ok: false;
  code: string;
  message: string;
  details?: { field: string; issue: string }[];
};
export type Outcome<T> = { ok: true; value: T } | Refusal;

export const success = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refuse = (
  code: string,
  message: string,
  details?: { field: string; issue: string }[],
): Refusal => (details ? { ok: false, code, message, details } : { ok: false, code, message });
