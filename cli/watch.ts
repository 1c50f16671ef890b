// Follows a job from its first event to its final state: state changes and progress on stderr (a
// progress bar when stderr and stdout are a terminal), the job's output text on stdout as it
// arrives, or with --json every event as one JSON line on stdout.
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { CoordinatorClient, JobEvent, JobState, JobView } from "../sdk";
import { eventLine } from "./output";

export type Display = "human" | "json" | "none";

/** Follows the job until it is final: its view, and the final state its stream announced. */
export async function followJob(client: CoordinatorClient, jobId: string, display: Display): Promise<{ job: JobView; state: JobState }> {
  const shown = display === "json" ? new JsonLines() : display === "human" ? new HumanDisplay() : undefined;
  let state: JobState | undefined;
  try {
    // From the first event, so the output shown is the whole output whenever the watch starts.
    const job = await client.jobs.wait(jobId, {
      lastEventId: "0",
      onEvent: (event) => {
        shown?.event(event);
        if (event.type === "state.changed") state = event.state;
      },
    });
    return { job, state: state ?? job.state };
  } finally {
    shown?.close();
  }
}

class JsonLines {
  event(event: JobEvent): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }
  close(): void {}
}

class HumanDisplay {
  private readonly live = process.stderr.isTTY === true && process.stdout.isTTY === true;
  private bars: MultiBar | undefined;
  private bar: SingleBar | undefined;
  /** Output text after its last line break, held back while a bar is drawn. */
  private partialLine = "";

  event(event: JobEvent): void {
    if (event.type === "job.progress") this.progress(event.progress, event.message);
    else if (event.type === "output.chunk") this.output(event.data);
    else {
      const line = eventLine(event);
      if (line !== null) this.status(line);
    }
  }

  close(): void {
    if (this.partialLine) this.write(`${this.partialLine}\n`);
    this.partialLine = "";
    this.bars?.stop();
  }

  private progress(fraction: number | null | undefined, message: string | null | undefined): void {
    const percent = fraction === null || fraction === undefined ? undefined : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
    if (!this.live) {
      this.status(`progress ${percent === undefined ? "" : `${percent}%`}${message ? ` ${message}` : ""}`.trimEnd());
      return;
    }
    if (!this.bars) {
      this.bars = new MultiBar(
        { format: " {bar} {percentage}% {message}", hideCursor: true, clearOnComplete: false },
        Presets.shades_classic,
      );
      this.bar = this.bars.create(100, 0, { message: "" });
    }
    this.bar!.update(percent ?? this.bar!.getProgress() * 100, { message: message ?? "" });
  }

  private output(text: string): void {
    if (!this.bars) {
      process.stdout.write(text);
      return;
    }
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop()!;
    if (lines.length > 0) this.write(`${lines.join("\n")}\n`);
  }

  private status(line: string): void {
    if (this.bars) this.bars.log(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  }

  /** Output text, above the bar while one is drawn. */
  private write(text: string): void {
    if (this.bars) this.bars.log(text);
    else process.stdout.write(text);
  }
}
