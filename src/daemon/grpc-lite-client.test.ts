import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  encodeFrame,
  FrameDecoder,
  type GrpcCallError,
  GrpcLiteChannel,
  GrpcMetadata,
  type GrpcMethod,
  statusFromHeaders,
} from "./grpc-lite-client.ts";

const text = (s: string) => Buffer.from(s);
const frames = (...messages: string[]) => Buffer.concat(messages.map((m) => encodeFrame(text(m))));

describe("FrameDecoder", () => {
  it("push() joins a frame split across chunks, header included", () => {
    const wire = frames("hello world");
    const d = new FrameDecoder(1024);
    assert.deepEqual(d.push(wire.subarray(0, 3)), []);
    assert.deepEqual(d.push(wire.subarray(3, 9)), []);
    assert.equal(d.partial, true);
    assert.deepEqual(d.push(wire.subarray(9)).map(String), ["hello world"]);
    assert.equal(d.partial, false);
  });

  it("push() returns every message of a chunk and keeps the unfinished tail", () => {
    const wire = Buffer.concat([frames("a", "", "ccc"), frames("tail").subarray(0, 6)]);
    const d = new FrameDecoder(1024);
    assert.deepEqual(d.push(wire).map(String), ["a", "", "ccc"]);
    assert.deepEqual(d.push(frames("tail").subarray(6)).map(String), ["tail"]);
  });

  it("push() rejects a compressed frame and one over the limit", () => {
    const compressed = frames("x");
    compressed[0] = 1;
    assert.throws(() => new FrameDecoder(1024).push(compressed), { code: 13 });
    assert.throws(() => new FrameDecoder(2).push(frames("abc")), {
      code: 8,
      details: "Received message larger than max (3 vs. 2)",
    });
  });
});

describe("statusFromHeaders", () => {
  it("percent-decodes grpc-message and ignores headers without a status", () => {
    const md = new GrpcMetadata();
    const err = statusFromHeaders(
      { "grpc-status": "5", "grpc-message": "no%20such%3A%20a%25" },
      md,
    );
    assert.deepEqual([err?.code, err?.details], [5, "no such: a%"]);
    assert.equal(statusFromHeaders({ ":status": 200 }, md), undefined);
  });
});

/** Echo-style method over plain strings, so the tests need no generated codecs. */
const method: GrpcMethod<string, string> = {
  path: "/test.Echo/Call",
  requestSerialize: (s) => text(s),
  responseDeserialize: (b) => b.toString(),
};

describe("GrpcLiteChannel", () => {
  let dir: string;
  let server: Http2Server;
  let channel: GrpcLiteChannel;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "grpc-lite-"));
    server = createServer();
    server.on("stream", (stream: ServerHttp2Stream) => {
      let body = "";
      stream.on("data", (c: Buffer) => {
        body += c.subarray(5).toString();
      });
      stream.on("end", () => answer(stream, body));
    });
    await new Promise<void>((ok) => server.listen(join(dir, "s.sock"), ok));
    channel = new GrpcLiteChannel({ kind: "unix", path: join(dir, "s.sock") });
  });

  after(() => {
    channel.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serverStream() decodes messages the server wrote mid-frame, then resolves", async () => {
    const got: string[] = [];
    const md = await channel.serverStream(method, "stream", (m) => got.push(m));
    assert.deepEqual(got, ["one", "two", "three"]);
    assert.deepEqual(md.get("x-trailer"), ["yes"]);
  });

  it("unary() rejects a trailers-only error with its status and metadata", async () => {
    await assert.rejects(channel.unary(method, "fail"), (err: GrpcCallError) => {
      assert.deepEqual([err.code, err.details], [5, 'image "a" not found']);
      assert.deepEqual(err.metadata.get("isulad-error-kind"), ["NotFound"]);
      return true;
    });
  });

  it("unary() rejects a stream cut inside a frame as INTERNAL", async () => {
    await assert.rejects(channel.unary(method, "truncate"), { code: 13 });
  });

  it("an aborted signal cancels the call", async () => {
    const ac = new AbortController();
    const call = channel.unary(method, "hang", { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(call, { code: 1, details: "Cancelled on client" });
  });

  it("a socket nobody listens on is UNAVAILABLE", async () => {
    const lost = new GrpcLiteChannel({ kind: "unix", path: join(dir, "nobody.sock") });
    await assert.rejects(lost.unary(method, "x"), { code: 14 });
    lost.close();
  });
});

/** The test server's replies, chosen by the request body. */
function answer(stream: ServerHttp2Stream, body: string): void {
  const grpc = { ":status": 200, "content-type": "application/grpc" };
  if (body === "fail") {
    const status = {
      "grpc-status": "5",
      "grpc-message": encodeURIComponent('image "a" not found'),
    };
    stream.respond({ ...grpc, ...status, "isulad-error-kind": "NotFound" }, { endStream: true });
    return;
  }
  if (body === "hang") {
    stream.respond(grpc);
    return;
  }
  stream.respond(grpc, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-trailer": "yes" }));
  if (body === "truncate") {
    stream.end(frames("cut").subarray(0, 6));
    return;
  }
  const wire = frames("one", "two", "three");
  stream.write(wire.subarray(0, 7));
  stream.write(wire.subarray(7, 13));
  stream.end(wire.subarray(13));
}
