// A job's event stream (GET /v1/admin/jobs/{id}/events), read through fetch because an EventSource
// cannot send the admin key. It starts from the whole history (after=0), and when the stream ends
// before the job is final (the job moved to another shard) it resumes after the last id it got.
const FINAL = ["COMPLETED", "FAILED", "CANCELED", "EXPIRED"];
const RECONNECT_MS = 3000;

/** Calls `onMessage` with each event's JSON data as the frames arrive; resolves when the stream ends. */
export async function readEvents(body, onMessage) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const data = buffer
        .slice(0, end)
        .split("\n")
        .find((line) => line.startsWith("data: "));
      buffer = buffer.slice(end + 2);
      if (data) onMessage(JSON.parse(data.slice(6)));
    }
  }
}

/** Follows a job until it is final or `stop()` is called; `onProblem` hears why a stream could not be read. */
export function followJob(api, jobId, { onMessage, onProblem }) {
  const controller = new AbortController();
  let after = 0;
  let final = false;

  const handle = (message) => {
    if (message.id) after = message.id;
    if (message.type === "state.changed" && FINAL.includes(message.state)) final = true;
    onMessage(message);
  };

  (async () => {
    while (!final && !controller.signal.aborted) {
      try {
        const res = await api.stream(`/v1/admin/jobs/${jobId}/events?after=${after}`, controller.signal);
        if (!res.ok) {
          onProblem(`the event stream answered HTTP ${res.status}`);
          return;
        }
        await readEvents(res.body, handle);
      } catch (err) {
        if (controller.signal.aborted) return;
        onProblem(`the event stream broke off (${err.message}); reconnecting`);
      }
      if (!final) await new Promise((resume) => setTimeout(resume, RECONNECT_MS));
    }
  })();

  return { stop: () => controller.abort() };
}
