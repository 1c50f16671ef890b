// The admin API, with the key the operator signed in with. Every answer that is not 2xx becomes an
// ApiError carrying the coordinator's error code and message.

export class ApiError extends Error {
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A path with the query parameters that have a value. */
export function withQuery(path, query = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** What went wrong, in one line for the page. */
export function describe(err) {
  if (err instanceof ApiError) {
    const wait = err.status === 429 && err.retryAfterSeconds ? `; try again in ${err.retryAfterSeconds} s` : "";
    return `${err.code}: ${err.message} (HTTP ${err.status}${wait})`;
  }
  return `cannot reach the coordinator (${err?.message ?? err})`;
}

export function createApi(key) {
  const headers = { "X-Api-Key": key };

  async function request(method, path, body) {
    const res = await fetch(path, {
      method,
      cache: "no-store",
      headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the status says enough
    }
    if (!res.ok) {
      const error = parsed?.error ?? {};
      throw new ApiError(
        res.status,
        error.code ?? `HTTP_${res.status}`,
        error.message ?? res.statusText,
        Number(res.headers.get("Retry-After")) || null,
      );
    }
    return parsed;
  }

  return {
    get: (path, query) => request("GET", withQuery(path, query)),
    post: (path, body) => request("POST", path, body),
    delete: (path) => request("DELETE", path),
    /** An event stream's response, unread (an EventSource cannot send the key). */
    stream: (path, signal) => fetch(path, { headers: { ...headers, Accept: "text/event-stream" }, cache: "no-store", signal }),
  };
}
