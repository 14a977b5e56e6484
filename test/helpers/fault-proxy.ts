import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does to one request instead of passing it through unchanged. */
export type Fault =
  | { status: number }
  /** Send the headers and this many body bytes, then reset the connection. */
  | { resetAfter: number }
  /** Send this body instead of the upstream one (same headers, fixed Content-Length). */
  | { body: Buffer }
  /** Send this many bytes without Content-Length (chunked), then end cleanly. */
  | { truncateAfter: number }
  /** Send the body at this many bytes per second. */
  | { bytesPerSecond: number }
  /** Drop the Range header: the upstream answers 200 with the whole blob. */
  | { ignoreRange: true }
  /** Answer 307 to this URL. */
  | { redirectTo: string };

/** One request the proxy saw; credentials are reduced to "was there an Authorization". */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: boolean;
  range?: string;
}

/** A reverse proxy in front of an HTTP registry, misbehaving where `rule` says. */
export interface FaultProxy {
  /** `127.0.0.1:<port>`. */
  host: string;
  seen: SeenRequest[];
  /** Decides per request; `n` counts earlier requests with the same method and path. */
  rule: (req: SeenRequest, n: number) => Fault | undefined;
  /** Forgets the requests seen and the per-path counts, and passes everything through again. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts a fault-injecting reverse proxy to `upstream` (`http://host:port`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const proxy: FaultProxy = {
    host: "",
    seen: [],
    rule: () => undefined,
    reset() {
      proxy.seen.length = 0;
      proxy.rule = () => undefined;
      counts.clear();
    },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      authorization: req.headers.authorization !== undefined,
      ...(typeof req.headers.range === "string" && { range: req.headers.range }),
    };
    proxy.seen.push(seen);
    const key = `${seen.method} ${seen.path}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    handle(req, res, proxy.rule(seen, n), upstream).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return proxy;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  fault: Fault | undefined,
  upstream: string,
) {
  if (fault && "status" in fault) {
    res.writeHead(fault.status, { "content-type": "application/json" }).end('{"errors":[]}');
    return;
  }
  if (fault && "redirectTo" in fault) {
    res.writeHead(307, { location: fault.redirectTo }).end();
    return;
  }
  const headers = { ...req.headers };
  delete headers.host;
  if (fault && "ignoreRange" in fault) delete headers.range;
  const up = await new Promise<IncomingMessage>((resolve, reject) => {
    const u = new URL(req.url ?? "/", upstream);
    httpRequest(u, { method: req.method, headers }, resolve).on("error", reject).end();
  });
  const chunks: Buffer[] = [];
  for await (const c of up) chunks.push(c as Buffer);
  let body: Buffer = Buffer.concat(chunks);
  const outHeaders = { ...up.headers };
  if (fault && "body" in fault) {
    body = fault.body;
    outHeaders["content-length"] = String(body.length);
  }
  if (fault && "truncateAfter" in fault) {
    delete outHeaders["content-length"];
    res.writeHead(up.statusCode ?? 502, outHeaders);
    res.end(body.subarray(0, fault.truncateAfter));
    return;
  }
  res.writeHead(up.statusCode ?? 502, outHeaders);
  if (fault && "resetAfter" in fault) {
    res.write(body.subarray(0, fault.resetAfter), () =>
      setTimeout(() => res.socket?.resetAndDestroy(), 20),
    );
    return;
  }
  if (fault && "bytesPerSecond" in fault) {
    const step = Math.max(1, Math.floor(fault.bytesPerSecond / 10));
    for (let i = 0; i < body.length && !res.destroyed; i += step) {
      res.write(body.subarray(i, i + step));
      await new Promise((r) => setTimeout(r, 100));
    }
    res.end();
    return;
  }
  res.end(body);
}
