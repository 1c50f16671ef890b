// Opaque pagination cursors: base64url of a small JSON tuple. A cursor the caller tampered with
// decodes to null, which the routes answer with 422 naming the cursor field.
import { ApiError } from "../http/errors";

export function encodeCursor(parts: (string | number)[]): string {
  return btoa(JSON.stringify(parts)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor<T extends (string | number)[]>(cursor: string, shape: ("string" | "number")[]): T {
  try {
    const parts: unknown = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => typeof p === shape[i])) {
      return parts as T;
    }
  } catch {
    // fall through to the refusal below
  }
  throw new ApiError("INVALID_PAYLOAD", "invalid cursor", [{ field: "cursor", issue: "not a cursor this endpoint issued" }]);
}
