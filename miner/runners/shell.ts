import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { JobFailure, type Runner } from "./runner";

/** The most stdout kept for the result; the whole of it is streamed as output regardless. */
const MAX_RESULT_CHARS = 256 * 1024;
/** The end of stderr quoted in a failure's message. */
const STDERR_TAIL_CHARS = 2_000;
/** Between SIGTERM and SIGKILL when a command must stop. */
const KILL_GRACE_MS = 2_000;
/** Exit status a command uses to say "try again later" (EX_TEMPFAIL of sysexits.h). */
const EX_TEMPFAIL = 75;

/**
 * Runs `command` with `sh -c` for each job: the payload as JSON on stdin, JOB_ID and JOB_ATTEMPT in the
 * environment. Stdout is streamed as the job's output while it runs; at exit 0 the result is stdout
 * parsed as a JSON object when it is one, else `{output: stdout}`. A command that runs past
 * `timeoutSeconds`, or is cancelled, is stopped with its whole process group.
 * Failures: COMMAND_FAILED (non-zero exit, not retryable), COMMAND_TEMPFAIL (exit 75, retryable), COMMAND_KILLED (a signal
 * the miner did not send, retryable), COMMAND_TIMEOUT (not retryable), COMMAND_NOT_STARTED (retryable).
 */
export function shellRunner(command: string, timeoutSeconds: number): Runner {
  return (job, { signal, output }) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const child = spawn("sh", ["-c", command], {
        detached: true, // its own process group, so stopping it stops what it started too
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, JOB_ID: job.job_id, JOB_ATTEMPT: String(job.attempt) },
      });
      let stdout = "";
      let stdoutTruncated = false;
      let stderr = "";
      let timedOut = false;
      let stopping: NodeJS.Timeout | undefined;

      const stop = () => {
        if (stopping) return;
        const group = (name: NodeJS.Signals) => {
          try {
            process.kill(-child.pid!, name);
          } catch {
            // already gone
          }
        };
        group("SIGTERM");
        stopping = setTimeout(() => group("SIGKILL"), KILL_GRACE_MS);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutSeconds * 1000);
      signal.addEventListener("abort", stop, { once: true });

      const stdoutText = new StringDecoder("utf8");
      const onStdout = (text: string) => {
        if (!text) return;
        output(text);
        if (stdout.length + text.length > MAX_RESULT_CHARS) {
          stdoutTruncated = true;
          stdout = (stdout + text).slice(-MAX_RESULT_CHARS);
        } else stdout += text;
      };
      child.stdout.on("data", (chunk: Buffer) => onStdout(stdoutText.write(chunk)));
      child.stderr.setEncoding("utf8").on("data", (text: string) => {
        stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
      });
      // A command that does not read its stdin closes it early; that is not a failure.
      child.stdin.on("error", () => {});
      child.stdin.end(`${JSON.stringify(job.payload)}\n`);

      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        clearTimeout(stopping);
        signal.removeEventListener("abort", stop);
        outcome();
      };
      child.once("error", (error) => finish(() => reject(new JobFailure("COMMAND_NOT_STARTED", `cannot run sh: ${error.message}`, true))));
      child.once("close", (code, killedBy) =>
        finish(() => {
          onStdout(stdoutText.end());
          const detail = stderr.trim() ? `: ${stderr.trim()}` : "";
          if (signal.aborted) reject(signal.reason);
          else if (timedOut) reject(new JobFailure("COMMAND_TIMEOUT", `still running after ${timeoutSeconds} s${detail}`, false));
          else if (killedBy) reject(new JobFailure("COMMAND_KILLED", `killed by ${killedBy}${detail}`, true));
          else if (code === EX_TEMPFAIL) reject(new JobFailure("COMMAND_TEMPFAIL", `exited with ${code}${detail}`, true));
          else if (code !== 0) reject(new JobFailure("COMMAND_FAILED", `exited with ${code}${detail}`, false));
          else resolve({ result: resultOf(stdout, stdoutTruncated) });
        }),
      );
    });
}

function resultOf(stdout: string, truncated: boolean): Record<string, unknown> {
  if (!truncated) {
    try {
      const parsed: unknown = JSON.parse(stdout);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // not JSON: the text itself is the result
    }
  }
  return truncated ? { output: stdout, truncated: true } : { output: stdout };
}
