import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { RegistryClient } from "./registry-client.ts";
import { nextPage } from "./registry-search.ts";
import { parseSearchTerm } from "./registry-search-term.ts";

describe("parseSearchTerm", () => {
  const table: [string, ReturnType<typeof parseSearchTerm>][] = [
    ["busybox", { host: "index.docker.io", query: "busybox", explicitHost: false }],
    ["library/busybox", { host: "index.docker.io", query: "library/busybox", explicitHost: false }],
    ["docker.io/nginx", { host: "index.docker.io", query: "nginx", explicitHost: false }],
    ["127.0.0.1:5000/app", { host: "127.0.0.1:5000", query: "app", explicitHost: true }],
    ["localhost/a/b", { host: "localhost", query: "a/b", explicitHost: true }],
    ["reg.example:443/", { host: "reg.example:443", query: "", explicitHost: true }],
  ];
  for (const [term, want] of table) {
    it(`parseSearchTerm splits "${term}"`, () => assert.deepEqual(parseSearchTerm(term), want));
  }
  it("parseSearchTerm rejects an empty term", () => {
    assert.throws(() => parseSearchTerm(" "), { kind: "InvalidArgument" });
  });
});

describe("nextPage", () => {
  const base = "http://127.0.0.1:5000";
  it("nextPage follows a relative next link", () => {
    const link = '</v2/_catalog?last=b&n=2>; rel="next"';
    assert.equal(nextPage(link, base), "/v2/_catalog?last=b&n=2");
  });
  it("nextPage ignores other origins, other relations and no link", () => {
    assert.equal(nextPage('<http://evil:1/v2/_catalog?last=b>; rel="next"', base), undefined);
    assert.equal(nextPage('</v2/_catalog?last=b>; rel="prev"', base), undefined);
    assert.equal(nextPage(undefined, base), undefined);
  });
});

describe("RegistryClient.search against a stub registry", () => {
  let server: Server;
  let host: string;
  let v1 = false;
  const catalogRequests: string[] = [];
  const repos = ["alpha/app", "beta/tool", "gamma/app-dev", "delta/APPX", "zeta/other"];
  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/v2/") return res.writeHead(200).end("{}");
      if (url.pathname === "/v1/search" && v1) {
        const results = [{ name: "a/b", description: "d", star_count: 4, is_official: true }];
        return res.writeHead(200).end(JSON.stringify({ results }));
      }
      if (url.pathname !== "/v2/_catalog") return res.writeHead(404).end();
      catalogRequests.push(url.search);
      const n = Number(url.searchParams.get("n"));
      const last = url.searchParams.get("last");
      const start = last ? repos.indexOf(last) + 1 : 0;
      const page = repos.slice(start, start + Math.min(n, 2));
      const headers: Record<string, string> = {};
      if (start + page.length < repos.length)
        headers.link = `</v2/_catalog?last=${page.at(-1)}&n=${n}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ repositories: page }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  function client() {
    return new RegistryClient({
      certsDir: "/nonexistent",
      insecureRegistries: [host],
      skipVerifyEnforce: false,
      mirrors: [],
      credentialsFor: () => undefined,
    });
  }

  it("search falls back to the catalog, every page, matching case-insensitively", async () => {
    const c = client();
    try {
      const found = await c.search(`${host}/app`, { limit: 25 });
      assert.deepEqual(
        found.map((r) => r.name),
        [`${host}/alpha/app`, `${host}/delta/APPX`, `${host}/gamma/app-dev`],
      );
      assert.equal(catalogRequests.length, 3);
    } finally {
      await c.close();
    }
  });

  it("search uses v1 search when the registry has it", async () => {
    v1 = true;
    const c = client();
    try {
      const found = await c.search(`${host}/b`, { limit: 5 });
      assert.deepEqual(found, [
        { name: "a/b", description: "d", starCount: 4, isOfficial: true, isAutomated: false },
      ]);
    } finally {
      v1 = false;
      await c.close();
    }
  });

  it("search of a host that answers nothing is Unavailable", async () => {
    const c = client();
    const closed = await new Promise<string>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(`127.0.0.1:${port}`));
      });
    });
    try {
      const err = await c.search(`${closed}/x`, { limit: 5 }).catch((e: unknown) => e);
      assert.ok(err instanceof ImageError, String(err));
      assert.equal(err.kind, "Unavailable");
    } finally {
      await c.close();
    }
  });
});
