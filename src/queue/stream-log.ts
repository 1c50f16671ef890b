// The stored part of each job's event stream, in the region DO's own SQLite (table job_stream, never
// written to D1): every message after the first, so a client can resume after any id. The first (id
// 1, the job's submission) is known from the job itself and never stored. Each row also records the
// stream's head as of that row (the lease and seq of the last progress post taken, the bytes that
// progress posts have stored so far), so one read of the last row tells all a new post is judged by.
import { BoundedMap } from "../lib/bounded-map";
import { utf8Length } from "../lib/encoding";
import type { Job } from "../model/job";
import { type StreamEntry, type StreamEventType, type StreamMessage, stateMessages, storedEntry, streamEntry } from "./job-stream";

/** Where a job's stream stands: what its last row records. */
export interface StreamHead {
  lastId: number;
  /** The lease and seq of the last progress post taken, if any. */
  leaseId: string | null;
  lastSeq: number | null;
  /** What progress posts have stored so far, in bytes of their messages' JSON. */
  progressBytes: number;
}

/** One stored message with the head as of it: what a handoff carries to the job's next shard. */
export interface StoredEvent {
  id: number;
  type: StreamEventType;
  text: string;
  leaseId: string | null;
  lastSeq: number | null;
  progressBytes: number;
}

export const SUBMITTED_ID = 1;

/** What entries store, in bytes: the UTF-8 size of their JSON. */
export const storedBytes = (entries: readonly { text: string }[]): number => entries.reduce((n, e) => n + utf8Length(e.text), 0);
const EMPTY_HEAD: StreamHead = { lastId: SUBMITTED_ID, leaseId: null, lastSeq: null, progressBytes: 0 };

type Row = { id: number; type: string; text: string; lease_id: string | null; last_seq: number | null; progress_bytes: number };

/** How many streams' heads a shard keeps in memory (a head is four small fields). */
const KEPT_HEADS = 50_000;

export class StreamLog {
  /** The heads this single writer has read or moved, so a job step reads no row to append its own. */
  private readonly heads = new BoundedMap<string, StreamHead>(KEPT_HEADS);

  constructor(private readonly sql: SqlStorage) {}

  head(jobId: string): StreamHead {
    const kept = this.heads.get(jobId);
    if (kept) return kept;
    const row = this.sql
      .exec<Row>("SELECT id, lease_id, last_seq, progress_bytes FROM job_stream WHERE job_id = ? ORDER BY id DESC LIMIT 1", jobId)
      .toArray()[0];
    const head = row ? { lastId: row.id, leaseId: row.lease_id, lastSeq: row.last_seq, progressBytes: row.progress_bytes } : EMPTY_HEAD;
    this.heads.set(jobId, head);
    return head;
  }

  /** A new job's stream: only its submission, which is never stored, so no row needs reading. */
  begin(jobId: string): void {
    this.heads.set(jobId, EMPTY_HEAD);
  }

  /** After a transaction rolled back: the kept heads may be ones it moved. */
  forgetHeads(): void {
    this.heads.clear();
  }

  /** The messages as entries with the ids that follow `head`, not stored yet. */
  entries(jobId: string, head: StreamHead, messages: readonly StreamMessage[]): StreamEntry[] {
    return messages.map((message, i) => streamEntry(jobId, head.lastId + 1 + i, message));
  }

  /** Stores entries made by `entries` from `head`; `post`: they are a progress post's, which moves the head. */
  store(head: StreamHead, entries: readonly StreamEntry[], post?: { leaseId: string; seq: number }): void {
    let { leaseId, lastSeq, progressBytes } = head;
    for (const entry of entries) {
      if (post) {
        leaseId = post.leaseId;
        lastSeq = post.seq;
        progressBytes += utf8Length(entry.text);
      }
      this.insert(entry.jobId, { id: entry.id!, type: entry.type, text: entry.text, leaseId, lastSeq, progressBytes });
      this.heads.set(entry.jobId, { lastId: entry.id!, leaseId, lastSeq, progressBytes });
    }
  }

  /** Appends a state change's messages; answers them as entries to publish. */
  appendState(jobId: string, messages: readonly StreamMessage[]): StreamEntry[] {
    const head = this.head(jobId);
    const entries = this.entries(jobId, head, messages);
    this.store(head, entries);
    return entries;
  }

  /** Everything after `afterId`, oldest first; the submission (id 1) comes from the job itself. */
  after(job: Pick<Job, "jobId" | "requestedAt">, afterId: number): StreamEntry[] {
    const submitted = stateMessages(job.jobId, "QUEUED", job.requestedAt, { type: "submitted", minerId: null });
    const stored = this.sql
      .exec<Row>("SELECT id, type, text FROM job_stream WHERE job_id = ? AND id > ? ORDER BY id", job.jobId, afterId)
      .toArray()
      .map((r) => storedEntry(job.jobId, r.id, r.type as StreamEventType, r.text));
    return afterId < SUBMITTED_ID ? [...submitted.map((m) => streamEntry(job.jobId, SUBMITTED_ID, m)), ...stored] : stored;
  }

  export(jobId: string): StoredEvent[] {
    return this.sql
      .exec<Row>("SELECT id, type, text, lease_id, last_seq, progress_bytes FROM job_stream WHERE job_id = ? ORDER BY id", jobId)
      .toArray()
      .map((r) => ({
        id: r.id,
        type: r.type as StreamEventType,
        text: r.text,
        leaseId: r.lease_id,
        lastSeq: r.last_seq,
        progressBytes: r.progress_bytes,
      }));
  }

  /** Takes a job's stream as another shard held it, in place of whatever this shard had of it. */
  import(jobId: string, events: readonly StoredEvent[]): void {
    this.drop([jobId]);
    for (const event of events) this.insert(jobId, event);
  }

  drop(jobIds: readonly string[]): void {
    for (const jobId of jobIds) {
      this.sql.exec("DELETE FROM job_stream WHERE job_id = ?", jobId);
      this.heads.delete(jobId);
    }
  }

  private insert(jobId: string, event: StoredEvent): void {
    this.sql.exec(
      "INSERT INTO job_stream (job_id, id, type, text, lease_id, last_seq, progress_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
      jobId,
      event.id,
      event.type,
      event.text,
      event.leaseId,
      event.lastSeq,
      event.progressBytes,
    );
  }
}
