export const ROLES = ["client", "miner", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: a key maps to a principal id, and only the id ever appears on the wire. */
export interface Principal {
  id: string;
  role: Role;
  keyId: string;
}

export const PRINCIPAL_PREFIX: Record<Role, string> = { client: "cli", miner: "mnr", admin: "adm" };
