/**
 * A small gRPC client on `node:http2` so that `isula` need not load grpc-js (issue #4): unary and
 * server-streaming calls, no compression, no retries. The daemon keeps grpc-js. Protocol:
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from "node:http2";
import { connect as netConnect } from "node:net";

/** Response headers or trailers as `node:http2` reports them. */
type ResponseHeaders = Record<string, string | string[] | number | undefined>;

/** gRPC status codes this client produces itself. */
const [CANCELLED, UNKNOWN, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE] = [
  1, 2, 8, 12, 13, 14,
];

/**
 * A client's TLS material (PEM). Without `ca`, the system's CAs; `verify: false` accepts any
 * server certificate (`isula --tls` without `--tlsverify`). The pair is sent when both are set.
 */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Default true. */
  verify?: boolean;
}

/** Where the server listens; TLS only applies to `tcp`. */
export type GrpcTarget =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number; tls?: ClientTls };

/** One method: its path (`/package.Service/Method`) and the generated codecs of its messages. */
export interface GrpcMethod<Req, Res> {
  path: string;
  requestSerialize(value: Req): Uint8Array;
  responseDeserialize(bytes: Buffer): Res;
}

/** Response metadata (headers and trailers), keys lowercased; shaped like grpc-js `Metadata`. */
export class GrpcMetadata {
  readonly #map = new Map<string, string[]>();

  /** Every value of `key`; empty when absent. */
  get(key: string): string[] {
    return this.#map.get(key.toLowerCase()) ?? [];
  }

  add(key: string, value: string): void {
    this.#map.set(key.toLowerCase(), [...this.get(key), value]);
  }
}

/**
 * A call that ended with a status other than OK, in grpc-js's `ServiceError` shape. A call that
 * never got an answer (`UNAVAILABLE`) has the socket's or TLS's error as `cause` when there was
 * one.
 */
export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly metadata: GrpcMetadata = new GrpcMetadata(),
    cause?: unknown,
  ) {
    super(`${code} ${details}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * Splits a byte stream into gRPC messages: `push` returns the messages completed by `chunk`
 * (a chunk may hold part of a frame or several). Throws `GrpcCallError` for a compressed frame
 * (we never ask for compression) or one larger than `maxLength`.
 */
export class FrameDecoder {
  // Chunks not yet returned; joined only once a whole frame is there, so a large reply arriving
  // in many chunks is copied once, not once per chunk.
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(readonly maxLength: number) {}

  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: Buffer[] = [];
    while (this.#buffered >= 5) {
      const head = this.#head();
      const length = head.readUInt32BE(1);
      if (head[0] !== 0) throw new GrpcCallError(INTERNAL, "compressed message not supported");
      if (length > this.maxLength) {
        const why = `Received message larger than max (${length} vs. ${this.maxLength})`;
        throw new GrpcCallError(RESOURCE_EXHAUSTED, why);
      }
      if (this.#buffered < 5 + length) break;
      const buf = this.#chunks.length === 1 ? head : Buffer.concat(this.#chunks, this.#buffered);
      out.push(buf.subarray(5, 5 + length));
      const rest = buf.subarray(5 + length);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
    return out;
  }

  /** True when bytes of an unfinished frame are left over. */
  get partial(): boolean {
    return this.#buffered > 0;
  }

  /** The buffered bytes as one buffer holding at least the 5-byte frame header. */
  #head(): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 5) return first;
    const joined = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [joined];
    return joined;
  }
}

/** `message` as one gRPC frame. */
export function encodeFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** The status of a response from its trailers (or trailers-only headers), else undefined. */
export function statusFromHeaders(
  headers: ResponseHeaders,
  md: GrpcMetadata,
): GrpcCallError | undefined {
  const raw = headers["grpc-status"];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  let details = String(headers["grpc-message"] ?? "");
  try {
    details = decodeURIComponent(details);
  } catch {
    // A malformed escape is kept as sent, as grpc-js does.
  }
  return new GrpcCallError(Number.isInteger(code) ? code : UNKNOWN, details, md);
}

/** Adds the custom (not `:` or `grpc-`) keys of `headers` to `md`. */
function collectMetadata(headers: ResponseHeaders, md: GrpcMetadata) {
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(":") || key.startsWith("grpc-") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) md.add(key, String(v));
  }
}

/** The gRPC code of a non-200 HTTP status (PROTOCOL-HTTP2.md, "HTTP to gRPC Status Code"). */
function statusOfHttp(status: number): number {
  const map: Record<number, number> = { 400: INTERNAL, 401: 16, 403: 7, 404: UNIMPLEMENTED };
  return map[status] ?? ([429, 502, 503, 504].includes(status) ? UNAVAILABLE : UNKNOWN);
}

/** Per-call options: `signal` cancels the call (status `CANCELLED`). */
export interface GrpcCallOptions {
  signal?: AbortSignal;
}

/**
 * One HTTP/2 connection to a gRPC server, opened on the first call and reopened after it
 * drops. Calls fail with `GrpcCallError`; one that cannot reach the server is `UNAVAILABLE`.
 * Safe for concurrent calls; `close()` ends the connection, an idle one holds no process.
 */
export class GrpcLiteChannel {
  #session: ClientHttp2Session | undefined;
  readonly #sessionErrors = new WeakMap<ClientHttp2Session, Error>();
  #active = 0;

  constructor(
    readonly target: GrpcTarget,
    readonly maxReceiveLength = 4 * 1024 * 1024,
  ) {}

  /** One request, one reply; also returns the trailers of a successful call. */
  async unary<Req, Res>(
    method: GrpcMethod<Req, Res>,
    request: Req,
    opts: GrpcCallOptions = {},
  ): Promise<{ message: Res; metadata: GrpcMetadata }> {
    const replies: Res[] = [];
    const metadata = await this.serverStream(method, request, (m) => replies.push(m), opts);
    if (replies.length !== 1) {
      const why = replies.length === 0 ? "No message received" : "Too many responses received";
      throw new GrpcCallError(UNIMPLEMENTED, why, metadata);
    }
    return { message: replies[0] as Res, metadata };
  }

  /** Calls `onMessage` with each reply; resolves with the trailers once the status is OK. */
  serverStream<Req, Res>(
    method: GrpcMethod<Req, Res>,
    request: Req,
    onMessage: (message: Res) => void,
    { signal }: GrpcCallOptions = {},
  ): Promise<GrpcMetadata> {
    if (signal?.aborted) return Promise.reject(new GrpcCallError(CANCELLED, "Cancelled on client"));
    const session = this.#connect();
    const stream = this.#open(session, method.path);
    const metadata = new GrpcMetadata();
    const frames = new FrameDecoder(this.maxReceiveLength);
    return new Promise((resolve, reject) => {
      let status: GrpcCallError | undefined;
      const fail = (err: GrpcCallError) => {
        status ??= err;
        stream.close(constants.NGHTTP2_CANCEL);
      };
      const onAbort = () => fail(new GrpcCallError(CANCELLED, "Cancelled on client"));
      signal?.addEventListener("abort", onAbort, { once: true });
      stream.on("response", (headers) => {
        collectMetadata(headers, metadata);
        const http = Number(headers[":status"]);
        if (http !== 200) fail(new GrpcCallError(statusOfHttp(http), `HTTP status ${http}`));
        status ??= statusFromHeaders(headers, metadata);
      });
      stream.on("data", (chunk: Buffer) => {
        if (status !== undefined) return;
        try {
          for (const bytes of frames.push(chunk)) onMessage(method.responseDeserialize(bytes));
        } catch (err) {
          fail(err instanceof GrpcCallError ? err : new GrpcCallError(INTERNAL, String(err)));
        }
      });
      stream.on("trailers", (trailers) => {
        collectMetadata(trailers, metadata);
        status ??= statusFromHeaders(trailers, metadata);
      });
      stream.on("error", (err) => {
        fail(new GrpcCallError(UNAVAILABLE, err.message, metadata, err.cause ?? err));
      });
      stream.on("close", () => {
        signal?.removeEventListener("abort", onAbort);
        // The last call done: an idle connection must not keep the process alive.
        if (--this.#active === 0) this.#session?.unref();
        if ((status === undefined || status.code === 0) && frames.partial) {
          status = new GrpcCallError(INTERNAL, "Received a truncated message");
        }
        const cause = this.#sessionErrors.get(session);
        status ??= new GrpcCallError(UNAVAILABLE, "Connection dropped", metadata, cause);
        if (status.code === 0) resolve(metadata);
        else reject(status);
      });
      stream.end(encodeFrame(method.requestSerialize(request)));
    });
  }

  /** Ends the connection once the calls in flight have finished. */
  close(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  #open(session: ClientHttp2Session, path: string): ClientHttp2Stream {
    this.#active++;
    session.ref();
    return session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity",
    });
  }

  #connect(): ClientHttp2Session {
    if (this.#session && !this.#session.closed && !this.#session.destroyed) return this.#session;
    const t = this.target;
    const session =
      t.kind === "unix"
        ? connect("http://localhost", { createConnection: () => netConnect(t.path) })
        : t.tls
          ? connect(`https://${t.host}:${t.port}`, {
              ca: t.tls.ca,
              cert: t.tls.cert,
              key: t.tls.key,
              rejectUnauthorized: t.tls.verify !== false,
              ALPNProtocols: ["h2"],
            })
          : connect(`http://${t.host}:${t.port}`);
    // Each stream reports the failure; the session's error is kept as the cause of a stream
    // that closes without one (a TLS alert arrives on the session).
    session.on("error", (err) => this.#sessionErrors.set(session, err));
    session.on("close", () => {
      if (this.#session === session) this.#session = undefined;
    });
    this.#session = session;
    return session;
  }
}
