// PushDestination against a small in-process registry fake, for answers the real registry does
// not give: a refused mount, a wrong stored digest, an upload location on another origin.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { sha256Digest } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { RegistryClient } from "./registry-client.ts";

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; host: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    handler(req, Buffer.concat(chunks), res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const BASIC = 'Basic realm="fake"';
const CREDS = { username: "u", password: "p" };
const data = Buffer.from("layer bytes for the fake registry\n");
const digest = sha256Digest(data);
const blob = { digest, size: data.length, open: () => Readable.from([data]) };

describe("PushDestination against a registry fake", () => {
  let main: { server: Server; host: string };
  let storage: { server: Server; host: string };
  let seen: { method: string; url: string; authorization?: string; host: string }[] = [];
  let behaviour: { storedDigest?: string; uploadsElsewhere?: boolean } = {};

  const record = (req: IncomingMessage, host: string) =>
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      host,
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });

  before(async () => {
    storage = await listen((req, body, res) => {
      record(req, "storage");
      const got = `sha256:${createHash("sha256").update(body).digest("hex")}`;
      res.writeHead(201, { "docker-content-digest": got }).end();
    });
    main = await listen((req, body, res) => {
      record(req, "main");
      const url = new URL(req.url ?? "/", "http://x");
      if (!req.headers.authorization)
        return res.writeHead(401, { "www-authenticate": BASIC }).end();
      if (url.pathname === "/v2/") return res.writeHead(200).end("{}");
      if (req.method === "HEAD") return res.writeHead(404).end();
      if (req.method === "POST" && url.searchParams.has("mount"))
        return res.writeHead(403).end('{"errors":[{"code":"DENIED","message":"no"}]}');
      if (req.method === "POST") {
        const location = behaviour.uploadsElsewhere
          ? `http://${storage.host}/upload/1?state=x`
          : "/v2/r/blobs/uploads/1?state=x";
        return res.writeHead(202, { location }).end();
      }
      if (req.method === "PUT") {
        const got = `sha256:${createHash("sha256").update(body).digest("hex")}`;
        const ok = url.searchParams.get("digest") === got;
        if (!ok) return res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
        return res.writeHead(201, { "docker-content-digest": behaviour.storedDigest ?? got }).end();
      }
      res.writeHead(404).end();
    });
  });
  after(async () => {
    for (const s of [main.server, storage.server]) await new Promise((r) => s.close(r));
  });
  beforeEach(() => {
    seen = [];
    behaviour = {};
  });

  function destination() {
    const client = new RegistryClient({
      certsDir: "/nonexistent",
      insecureRegistries: [main.host, storage.host],
      skipVerifyEnforce: false,
      mirrors: [],
      credentialsFor: () => CREDS,
    });
    return { client, dest: client.pushDestination(main.host, "r") };
  }

  it("a refused mount falls back to an upload, which the registry verifies", async () => {
    const { client, dest } = destination();
    try {
      assert.equal(await dest.hasBlob(digest), false);
      assert.equal(await dest.mountBlob(digest, "elsewhere/repo"), false);
      await dest.uploadBlob(blob);
    } finally {
      await client.close();
    }
    const put = seen.find((s) => s.method === "PUT");
    assert.ok(put?.url.includes(`digest=${encodeURIComponent(digest)}`), put?.url);
  });

  it("an upload the registry stores under another digest fails", async () => {
    behaviour.storedDigest = `sha256:${"0".repeat(64)}`;
    const { client, dest } = destination();
    const err = await dest.uploadBlob(blob).catch((e: unknown) => e);
    await client.close();
    assert.ok(err instanceof ImageError, String(err));
    assert.match(err.message, /the registry stored sha256:0{64}/);
  });

  it("an upload location on another origin gets no Authorization", async () => {
    behaviour.uploadsElsewhere = true;
    const { client, dest } = destination();
    try {
      await dest.uploadBlob(blob);
    } finally {
      await client.close();
    }
    const toStorage = seen.filter((s) => s.host === "storage");
    assert.equal(toStorage.length, 1);
    assert.equal(toStorage[0]?.authorization, undefined);
    assert.ok(seen.some((s) => s.host === "main" && s.authorization?.startsWith("Basic ")));
  });

  it("a manifest the registry refuses (400) is InvalidArgument with its reason", async () => {
    const { client, dest } = destination();
    const bytes = Buffer.from('{"schemaVersion":2}');
    // The fake answers a manifest PUT like a blob PUT without ?digest: 400 DIGEST_INVALID.
    const err = await dest
      .putManifest({ reference: "1", bytes, mediaType: "application/json" })
      .catch((e: unknown) => e);
    await client.close();
    assert.ok(err instanceof ImageError, String(err));
    assert.equal(err.kind, "InvalidArgument");
    assert.match(
      err.message,
      /uploading manifest 1 in "127\.0\.0\.1:\d+\/r": refused \(digest_invalid\)$/,
    );
  });
});
