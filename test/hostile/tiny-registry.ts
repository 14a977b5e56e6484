/**
 * A registry that says whatever a test tells it to, on 127.0.0.1: for answers a real registry
 * never gives (bodies far larger than any manifest, lying sizes, nesting bombs). Each route is a
 * function of the request path; unknown paths get 404. Bodies given as `stream` are written in
 * 64 KiB chunks without a Content-Length, with backpressure, until `bytes` or the client leaves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Answer =
  | { status?: number; headers?: Record<string, string>; body?: Buffer | string }
  | { status?: number; headers?: Record<string, string>; stream: { bytes: number; fill: string } };

export type Route = (path: string, req: IncomingMessage) => Answer | undefined;

export interface TinyRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** Replaced by each test. */
  route: Route;
  /** How many body bytes streamed answers wrote in all. */
  streamed: number;
  close(): Promise<void>;
}

export async function startTinyRegistry(): Promise<TinyRegistry> {
  const reg: TinyRegistry = {
    host: "",
    route: () => undefined,
    streamed: 0,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const answer = reg.route(req.url ?? "/", req) ?? { status: 404, body: "{}" };
    void reply(reg, res, answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  reg.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  reg.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return reg;
}

async function reply(reg: TinyRegistry, res: ServerResponse, a: Answer): Promise<void> {
  res.statusCode = a.status ?? 200;
  for (const [k, v] of Object.entries(a.headers ?? {})) res.setHeader(k, v);
  if (!("stream" in a)) {
    res.end(a.body ?? "");
    return;
  }
  const chunk = Buffer.alloc(64 << 10, a.stream.fill);
  let left = a.stream.bytes;
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  while (left > 0 && !closed) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    reg.streamed += piece.length;
    if (!res.write(piece))
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
  }
  if (!closed) res.end();
}
