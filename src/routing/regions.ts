import type { RegionSpec } from "../config";

const HINTS_BY_CONTINENT: Record<string, readonly string[]> = {
  NA: ["enam", "wnam"],
  SA: ["sam", "enam"],
  EU: ["weur", "eeur"],
  AS: ["apac", "me"],
  OC: ["oc", "apac"],
  AF: ["afr", "weur"],
  AN: ["oc"],
};

/** The configured region nearest the caller (from request.cf), else the first configured one. */
export function nearestRegion(regions: readonly RegionSpec[], cf: { continent?: unknown } | undefined): string {
  const continent = typeof cf?.continent === "string" ? cf.continent : undefined;
  for (const hint of HINTS_BY_CONTINENT[continent ?? ""] ?? []) {
    const match = regions.find((r) => r.locationHint === hint);
    if (match) return match.name;
  }
  return regions[0]!.name;
}

export function isKnownRegion(regions: readonly RegionSpec[], name: string): boolean {
  return regions.some((r) => r.name === name);
}
