// Structured logs: one JSON object per line, which Workers Logs (and an OTLP log export) index by
// field. Callers pass named fields only, so no header, key or body can end up in a line by accident.
import { memoized } from "./memo";
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  /** Whether lines at `level` are written: check it before building fields that cost something. */
  wants(level: Exclude<LogLevel, "silent">): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

const loggers = new Map<LogLevel, Logger>();

/** The logger that writes lines at `threshold` and above (one per level); undefined fields are left out. */
export function logger(threshold: LogLevel): Logger {
  return memoized(loggers, threshold, () => createLogger(threshold));
}

function createLogger(threshold: LogLevel): Logger {
  const line =
    (level: Exclude<LogLevel, "silent">, write: (text: string) => void) =>
    (msg: string, fields: LogFields = {}) => {
      if (RANK[level] < RANK[threshold]) return;
      write(JSON.stringify({ level, msg, ...fields }));
    };
  return {
    wants: (level) => RANK[level] >= RANK[threshold],
    debug: line("debug", (text) => console.debug(text)),
    info: line("info", (text) => console.log(text)),
    warn: line("warn", (text) => console.warn(text)),
    error: line("error", (text) => console.error(text)),
  };
}
