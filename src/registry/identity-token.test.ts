// Identity tokens (issue #7): a Docker credential helper may answer user `<token>` with an
// OAuth2 refresh token; the token server is then asked with the token spec's POST form.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { ImageError } from "../errors.ts";
import type { Challenge } from "./challenge.ts";
import { Dispatchers } from "./dispatchers.ts";
import { fetchToken } from "./token-auth.ts";
import { DEFAULT_TRANSFER } from "./transfer-options.ts";

const dispatchers = new Dispatchers({
  certsDir: "/nonexistent",
  skipVerify: () => false,
  transfer: DEFAULT_TRANSFER,
});

const seen: { method: string; type?: string; form: URLSearchParams; auth?: string }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    const form = new URLSearchParams(body);
    seen.push({
      method: req.method ?? "",
      ...(req.headers["content-type"] && { type: req.headers["content-type"] }),
      form,
      ...(req.headers.authorization && { auth: req.headers.authorization }),
    });
    if (form.get("refresh_token") !== "good-refresh-123") {
      res.writeHead(401).end('{"error":"invalid_grant"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ access_token: "access-456", expires_in: 300 }));
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
after(async () => {
  await dispatchers.close();
  server.close();
});

const challenge: Challenge = { scheme: "bearer", params: { realm, service: "reg.example" } };

test("an identity token is exchanged by POST grant_type=refresh_token, never sent as Basic", async () => {
  const token = await fetchToken(dispatchers, challenge, {
    registry: "reg.example",
    scope: "repository:team/app:pull",
    credentials: { username: "<token>", password: "good-refresh-123" },
  });
  assert.equal(token.token, "access-456");
  const req = seen.at(-1) ?? assert.fail("no request");
  assert.equal(req.method, "POST");
  assert.equal(req.type, "application/x-www-form-urlencoded");
  assert.equal(req.auth, undefined);
  assert.deepEqual(Object.fromEntries(req.form), {
    grant_type: "refresh_token",
    refresh_token: "good-refresh-123",
    client_id: "isulad-ts",
    service: "reg.example",
    scope: "repository:team/app:pull",
  });
});

test("a refused identity token is Unauthenticated and the message does not hold it", async () => {
  await assert.rejects(
    fetchToken(dispatchers, challenge, {
      registry: "reg.example",
      credentials: { username: "<token>", password: "stale-refresh-789" },
    }),
    (err: unknown) =>
      err instanceof ImageError &&
      err.kind === "Unauthenticated" &&
      /^getting a token for "reg.example" from "127\.0\.0\.1:\d+": identity token refused$/.test(
        err.message,
      ),
  );
});
