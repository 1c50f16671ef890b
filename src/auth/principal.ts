export const ROLES = ["client", "miner", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: a key maps to a principal id, and only the id ever appears on the wire. */
export interface Principal {
  id: string;
  role: Role;
  keyId: string;
}

export const PRINCIPAL_PREFIX: Record<Role, string> = { client: "cli", miner: "mnr", admin: "adm" };

const PRINCIPAL_ID_SHAPE = new RegExp(`^(${Object.values(PRINCIPAL_PREFIX).join("|")})_[0-9a-f]{16}$`);

/** Whether an id has the shape every principal id has: a role prefix, `_`, 16 lower-case hex characters. */
export function isPrincipalIdShaped(id: string): boolean {
  return PRINCIPAL_ID_SHAPE.test(id);
}
