// A fault injector for tests over real HTTP: a proxy on 127.0.0.1 in front of a coordinator that
// forwards every request as it is, except those a planned fault matches, and remembers every request
// it saw. Faults: answer in its place (a 429, a 503), forward it but lose the answer (the connection
// drops after the coordinator acted), or cut an event stream after its first event.
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const CUT_DELAY_MS = 200;

export type Fault =
  | { kind: "answer"; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: "lose-answer" }
  | { kind: "cut-after-first-event" };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  fault: Fault["kind"] | null;
}

interface Planned {
  method: string;
  path: RegExp;
  fault: Fault;
}

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private planned: Planned[] = [];
  private server: Server | undefined;
  private upstream = "";
  base = "";

  async start(upstream: string): Promise<void> {
    this.upstream = upstream;
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests of this method whose path matches get the fault. */
  plan(method: string, path: RegExp, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.planned.push({ method, path, fault });
  }

  /** Requests seen of this method whose path matches. */
  requests(method: string, path: RegExp): SeenRequest[] {
    return this.seen.filter((r) => r.method === method && path.test(r.path));
  }

  reset(): void {
    this.planned = [];
    this.seen.length = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const index = this.planned.findIndex((p) => p.method === method && p.path.test(path));
    const fault = index < 0 ? undefined : this.planned.splice(index, 1)[0]!.fault;
    this.seen.push({ method, path, headers: req.headers, fault: fault?.kind ?? null });

    if (fault?.kind === "answer") {
      req.resume();
      const body = fault.body === undefined ? "" : JSON.stringify(fault.body);
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      res.end(body);
      return;
    }
    const { host: _host, ...headers } = req.headers;
    const upstream = forward(`${this.upstream}${path}`, { method, headers }, (answer) => {
      if (fault?.kind === "lose-answer") {
        answer.resume();
        answer.on("end", () => res.socket?.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (fault?.kind !== "cut-after-first-event") {
        answer.pipe(res);
        return;
      }
      // The cut comes a moment after the first event, so the client has the answer and the event
      // in hand: what it sees is a stream that breaks, not a request that fails.
      let text = "";
      answer.on("data", (chunk: Buffer) => {
        if (text.includes("\n\n")) return;
        res.write(chunk);
        text += chunk.toString();
        if (text.includes("\n\n")) {
          setTimeout(() => {
            answer.destroy();
            res.socket?.destroy();
          }, CUT_DELAY_MS);
        }
      });
    });
    upstream.on("error", () => res.socket?.destroy());
    req.pipe(upstream);
  }
}
