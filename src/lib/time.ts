export function toIso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}

export function toUnixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
