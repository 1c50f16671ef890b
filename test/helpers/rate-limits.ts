// Rate limits of the workers-rate-limits project. Plain values only: this file is read by vitest.config.ts.
export const LOW_RATE_LIMITS = { CLIENT: 5, MINER: 5, ADMIN: 5, PUBLIC: 5 } as const;
