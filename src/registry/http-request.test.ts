import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { Dispatchers } from "./dispatchers.ts";
import { send } from "./http-request.ts";
import { DEFAULT_TRANSFER } from "./transfer-options.ts";

const servers: Server[] = [];
const dispatchers = new Dispatchers({
  certsDir: "/nonexistent",
  skipVerify: () => false,
  transfer: DEFAULT_TRANSFER,
});
after(async () => {
  await dispatchers.close();
  for (const s of servers) s.close();
});

/** A server that records the Authorization it gets and answers with `handler`. */
async function server(handler: (path: string) => [number, Record<string, string>, string]) {
  const seen: { path: string; authorization?: string }[] = [];
  const s = createServer((req, res) => {
    seen.push({
      path: req.url ?? "",
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });
    const [status, headers, body] = handler(req.url ?? "");
    res.writeHead(status, headers).end(body);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

test("send never forwards Authorization to another origin on a redirect", async () => {
  const storage = await server(() => [200, {}, "blob bytes"]);
  const registry = await server((p) =>
    p === "/v2/a/blobs/x"
      ? [307, { location: `${storage.origin}/store/x?sig=1` }, ""]
      : [404, {}, ""],
  );
  const res = await send(dispatchers, {
    url: new URL(`${registry.origin}/v2/a/blobs/x`),
    authorization: "Bearer secret",
  });
  assert.equal(await res.body.text(), "blob bytes");
  assert.equal(res.url.origin, storage.origin);
  assert.equal(registry.seen[0]?.authorization, "Bearer secret");
  assert.deepEqual(storage.seen, [{ path: "/store/x?sig=1" }]);
});

test("send keeps Authorization on a same-origin redirect", async () => {
  const registry = await server((p) =>
    p === "/old" ? [301, { location: "/new" }, ""] : [200, {}, "ok"],
  );
  const res = await send(dispatchers, {
    url: new URL(`${registry.origin}/old`),
    authorization: "Basic abc",
  });
  assert.equal(await res.body.text(), "ok");
  assert.deepEqual(
    registry.seen.map((s) => s.authorization),
    ["Basic abc", "Basic abc"],
  );
});

test("send gives up after too many redirects", async () => {
  const loop = await server(() => [302, { location: "/again" }, ""]);
  await assert.rejects(
    send(dispatchers, { url: new URL(`${loop.origin}/x`), maxRedirects: 3 }),
    /too many redirects/,
  );
});

test("send reports a refused connection in words", async () => {
  const gone = await server(() => [200, {}, ""]);
  servers.pop()?.close();
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(send(dispatchers, { url: new URL(`${gone.origin}/v2/`) }), {
    kind: "Unavailable",
    message: `connecting to "${gone.origin.slice(7)}": connection refused`,
  });
});
