// The miner's one status line: redrawn in place on a terminal; elsewhere (a log, a pipe) printed as a
// new line when it changes, at most once a second. Notes (warnings, lifecycle) print above it.

export interface Tally {
  running: number;
  done: number;
  failed: number;
  canceled: number;
  /** Jobs the coordinator took back before this miner could report them (lease lost). */
  lost: number;
}

export function formatStatus(who: string, state: string, concurrency: number, tally: Tally): string {
  return `${who} ${state} | running ${tally.running}/${concurrency} | done ${tally.done} | failed ${tally.failed} | canceled ${tally.canceled} | lost ${tally.lost}`;
}

const LOG_INTERVAL_MS = 1_000;

export class StatusLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private text = "";
  private printed = "";
  private lastPrintAt = 0;
  private trailing: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    this.tty = stream.isTTY === true;
  }

  update(text: string): void {
    this.text = text;
    if (this.tty) {
      this.redraw();
      return;
    }
    if (text === this.printed || this.trailing) return;
    const wait = this.lastPrintAt + LOG_INTERVAL_MS - Date.now();
    if (wait <= 0) this.printLine();
    else this.trailing = setTimeout(() => this.printLine(), wait);
  }

  note(message: string): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${message}\n`);
      this.redraw();
    } else this.stream.write(`${message}\n`);
  }

  /** Prints the latest status for good (a final newline on a terminal). */
  close(): void {
    if (this.tty) {
      this.redraw();
      this.stream.write("\n");
    } else if (this.text !== this.printed) this.printLine();
    clearTimeout(this.trailing);
  }

  private redraw(): void {
    this.stream.write(`\r\x1b[2K${this.text}`);
  }

  private printLine(): void {
    clearTimeout(this.trailing);
    this.trailing = undefined;
    if (this.text === this.printed) return;
    this.printed = this.text;
    this.lastPrintAt = Date.now();
    this.stream.write(`${this.text}\n`);
  }
}
