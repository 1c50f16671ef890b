// Opaque pagination cursors: base64url of a small JSON tuple. A cursor the caller tampered with
// throws InvalidCursorError, which the HTTP error handler answers with 422 naming the cursor field.

export class InvalidCursorError extends Error {
  constructor() {
    super("not a cursor this endpoint issued");
    this.name = "InvalidCursorError";
  }
}

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
  throw new InvalidCursorError();
}

/**
 * One page of a query that fetched limit + 1 rows: the extra row only tells that another page
 * exists, and the cursor points after the last row shown.
 */
export function pageOf<T>(rows: T[], limit: number, position: (last: T) => (string | number)[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}
