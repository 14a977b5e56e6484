// push and search end to end: `./bin/isula` against the real registry (Debian's docker-registry)
// over plain HTTP and with bearer tokens, and a v1 search stub on 127.0.0.1. Images are loaded
// from archives built here, pushed, pushed again, pushed under another repository (mounted),
// pulled back into a fresh store. Needs `npm run build` first.
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageStore } from "../../src/image/image-store.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import { type BuiltImage, sampleImage } from "../helpers/image-builder.ts";
import {
  blobWrites,
  freePort,
  type RegistryHarness,
  type RegistryMode,
  startRegistry,
} from "../helpers/registry-harness.ts";
import { runProcess } from "../helpers/run-process.ts";
import { snapshotStore } from "../helpers/store-snapshot.ts";
import {
  assertBuilt,
  ensureDaemon,
  makeSandbox,
  ROOT,
  type RunResult,
  type Sandbox,
  TEST_MODE,
} from "./harness.ts";

const ISULA = join(ROOT, "bin", "isula");

async function run(box: Sandbox, args: string[], input = ""): Promise<RunResult> {
  ensureDaemon(box);
  const r = await runProcess(ISULA, args, {
    cwd: join(box.dir, "work"),
    env: box.env,
    input,
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A sandbox whose daemon.json and certs.d reach `reg`. */
function sandboxFor(reg: RegistryHarness): Sandbox {
  const box = makeSandbox();
  const config = JSON.parse(readFileSync(join(box.dir, "daemon.json"), "utf8"));
  const hosts = reg.url.startsWith("http:") ? [reg.host] : [];
  writeFileSync(
    join(box.dir, "daemon.json"),
    JSON.stringify({ ...config, "insecure-registries": hosts }),
  );
  cpSync(reg.certsDir, join(box.dir, "certs.d"), { recursive: true });
  return box;
}

function storeOf(box: Sandbox) {
  return ImageStore.open({ graph: join(box.dir, "graph") });
}

/** The short IDs of the image's layer blobs, and its manifest digest, as stored in `box`. */
function storedFacts(box: Sandbox, id: string) {
  const store = storeOf(box);
  try {
    const record = store.getImage(id);
    assert.ok(record, `image ${id} is not stored`);
    const layers = store.imageLayers(record).map((l) => l.digest.slice(-12));
    return { layers, digest: record.digest, manifestSize: record.manifestSize };
  } finally {
    store.close();
  }
}

/** stdout of a successful push: header, one line per layer (any order), the digest line. */
function assertPushOutput(r: RunResult, repo: string, lines: string[], digestLine: string) {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const out = r.stdout.trimEnd().split("\n");
  assert.equal(out[0], `The push refers to repository [${repo}]`);
  assert.deepEqual(out.slice(1, -1).sort(), [...lines].sort());
  assert.equal(out.at(-1), digestLine);
}

let image: BuiltImage;
before(async () => {
  assertBuilt();
  image = await sampleImage("gzip", "push-cli");
});

async function loadInto(box: Sandbox, names: string[]): Promise<void> {
  const archive = join(box.dir, "work", "img.tar");
  await writeArchive(archive, [{ image, repoTags: names }], { shape: "docker25" });
  const r = await run(box, ["load", "-i", archive]);
  assert.equal(r.code, 0, r.stderr);
}

async function login(box: Sandbox, reg: RegistryHarness): Promise<void> {
  const creds = reg.credentials as { username: string; password: string };
  const r = await run(
    box,
    ["login", "-u", creds.username, "--password-stdin", reg.host],
    `${creds.password}\n`,
  );
  assert.equal(r.code, 0, r.stderr);
}

const MODES: RegistryMode[] = ["http", "token"];

for (const mode of MODES) {
  describe(`isula push and search, registry over ${mode}`, () => {
    let reg: RegistryHarness;
    let box: Sandbox;
    before(async () => {
      reg = await startRegistry(mode);
      box = sandboxFor(reg);
      await loadInto(box, [`${reg.host}/team/app:1`]);
      if (reg.credentials) await login(box, reg);
    });
    after(async () => reg?.stop());

    it("pushes every layer, then finds them all on a second push", async () => {
      const facts = storedFacts(box, image.id);
      const digestLine = `1: digest: ${facts.digest} size: ${facts.manifestSize}`;
      const repo = `${reg.host}/team/app`;
      const first = await run(box, ["push", `${reg.host}/team/app:1`]);
      assertPushOutput(
        first,
        repo,
        facts.layers.map((l) => `${l}: Pushed`),
        digestLine,
      );

      if (mode !== "http") return; // once is enough through the CLI
      const writes = await blobWrites(reg);
      const second = await run(box, ["push", `${reg.host}/team/app:1`]);
      const exists = facts.layers.map((l) => `${l}: Layer already exists`);
      assertPushOutput(second, repo, exists, digestLine);
      assert.equal(await blobWrites(reg), writes, "the second push uploaded blobs");
    });

    // Once is enough through the CLI: src/push/push-image.test.ts covers every mode.
    if (mode === "http") {
      it("mounts the layers when the image is pushed under another repository", async () => {
        const t = await run(box, ["tag", `${reg.host}/team/app:1`, `${reg.host}/other/app:2`]);
        assert.equal(t.code, 0, t.stderr);
        const facts = storedFacts(box, image.id);
        const r = await run(box, ["push", `${reg.host}/other/app:2`]);
        assertPushOutput(
          r,
          `${reg.host}/other/app`,
          facts.layers.map((l) => `${l}: Mounted from team/app`),
          `2: digest: ${facts.digest} size: ${facts.manifestSize}`,
        );
      });

      it("on a terminal, each layer's line is redrawn in place in Docker's words", async () => {
        const other = await sampleImage("gzip", "push-cli-tty");
        const name = `${reg.host}/tty/img:1`; // not matched by the search below
        const archive = join(box.dir, "work", "tty.tar");
        await writeArchive(archive, [{ image: other, repoTags: [name] }], { shape: "docker25" });
        const loaded = await run(box, ["load", "-i", archive]);
        assert.equal(loaded.code, 0, loaded.stderr);
        const facts = storedFacts(box, other.id);

        // util-linux `script` runs the push on a pseudo-terminal and copies what it drew.
        const r = await runProcess("script", ["-qfec", `${ISULA} push ${name}`, "/dev/null"], {
          cwd: join(box.dir, "work"),
          env: { ...box.env, TERM: "xterm" },
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const out = r.stdout.replaceAll("\r\n", "\n");
        const settled = facts.layers.map((l) => `${l}: Pushed\n`).join("");
        const digestLine = `1: digest: ${facts.digest} size: ${facts.manifestSize}\n`;
        assert.ok(out.startsWith(`The push refers to repository [${reg.host}/tty/img]\n`), out);
        // The last frame (after the last cursor-up-and-clear, if the push lasted two frames)
        // holds every layer's final line in first-seen order, then the digest line.
        const lastFrame = out.slice(out.lastIndexOf("\x1b[J") + 3);
        assert.ok(lastFrame.endsWith(`${settled}${digestLine}`), JSON.stringify(out));
        if (TEST_MODE === "direct") {
          // Direct mode draws the first event at once: every layer "Preparing".
          assert.match(out, new RegExp(`${facts.layers[0]}: Preparing\n`));
          assert.ok(out.includes("\x1b[J"), "the lines were redrawn in place");
        }
      });

      it("our pull into a fresh store gets the same image back", async () => {
        const fresh = sandboxFor(reg);
        if (reg.credentials) await login(fresh, reg);
        const r = await run(fresh, ["pull", `${reg.host}/other/app:2`]);
        assert.equal(r.code, 0, r.stderr);
        const facts = storedFacts(fresh, image.id);
        assert.deepEqual(facts, storedFacts(box, image.id));
      });
    }

    it("search lists the matching repositories of the catalog", async () => {
      const r = await run(box, ["search", "--format", "{{.Name}}", `${reg.host}/app`]);
      assert.equal(r.code, 0, r.stderr);
      const pushed = mode === "http" ? ["other/app", "team/app"] : ["team/app"];
      assert.equal(r.stdout, pushed.map((p) => `${reg.host}/${p}\n`).join(""));
      const only = await run(box, ["search", `${reg.host}/team`]);
      assert.equal(only.code, 0, only.stderr);
      const lines = only.stdout.trimEnd().split("\n");
      assert.match(lines[0] as string, /^NAME +DESCRIPTION +STARS +OFFICIAL +AUTOMATED$/);
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(/\s+/)),
        [[`${reg.host}/team/app`, "0"]],
      );
    });

    if (mode === "token") {
      it("without login the push is refused in one line and the store is unchanged", async () => {
        const anon = sandboxFor(reg);
        await loadInto(anon, [`${reg.host}/team/anon:1`]);
        ensureDaemon(anon);
        const store = storeOf(anon);
        const snap = snapshotStore(store);
        store.close();
        const r = await run(anon, ["push", `${reg.host}/team/anon:1`]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(
            `^Failed to push image ${reg.host}/team/anon:1 with error: .*authentication required.*\\n$`,
          ),
        );
        const after = storeOf(anon);
        assert.deepEqual(snapshotStore(after), snap);
        after.close();
      });
    }

    if (mode === "http") {
      it("a name that is not stored fails with one line and sends nothing", async () => {
        const before = (await reg.settledLog()).length;
        const r = await run(box, ["push", `${reg.host}/team/nosuch:1`]);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr,
          `An image does not exist locally with the tag: ${reg.host}/team/nosuch:1\n`,
        );
        assert.equal((await reg.settledLog()).length, before);
      });

      it("an unreachable registry fails in one line", async () => {
        const host = `127.0.0.1:${await freePort()}`;
        const t = await run(box, ["tag", `${reg.host}/team/app:1`, `${host}/x/app:1`]);
        assert.equal(t.code, 0, t.stderr);
        const r = await run(box, ["push", `${host}/x/app:1`]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(`^Failed to push image ${host}/x/app:1 with error: .+\\n$`),
        );
      });
    }
  });
}

describe("isula search on a registry with v1 search (stub on 127.0.0.1)", () => {
  let server: Server;
  let host: string;
  const queries: string[] = [];
  const results = [
    {
      name: "acme/tool",
      description: "A tool with a description long enough to be cut at forty-five characters",
      star_count: 12,
      is_official: false,
      is_automated: true,
    },
    { name: "tool", description: "Official tool", star_count: 900, is_official: true },
    { name: "misc/tool-dev", description: "", star_count: 1, is_automated: false },
  ];
  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/v2/") return res.writeHead(200).end("{}");
      if (url.pathname !== "/v1/search") return res.writeHead(404).end();
      queries.push(url.search);
      const n = Number(url.searchParams.get("n"));
      const body = { query: url.searchParams.get("q"), results: results.slice(0, n) };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** A sandbox that may reach the stub over plain HTTP. */
  function stubSandbox(): Sandbox {
    const box = makeSandbox();
    const config = JSON.parse(readFileSync(join(box.dir, "daemon.json"), "utf8"));
    const insecure = { "insecure-registries": [host] };
    writeFileSync(join(box.dir, "daemon.json"), JSON.stringify({ ...config, ...insecure }));
    return box;
  }

  it("prints Docker's table, descriptions cut, flags as [OK]", async () => {
    const box = stubSandbox();
    const r = await run(box, ["search", `${host}/tool`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(queries.at(-1), "?q=tool&n=25");
    const [header, ...rows] = r.stdout.trimEnd().split("\n") as [string, ...string[]];
    assert.match(header, /^NAME +DESCRIPTION +STARS +OFFICIAL +AUTOMATED$/);
    const at = (title: string) => header.indexOf(title);
    const cells = (row: string) =>
      ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"].map((t, i, all) =>
        row.slice(at(t), i + 1 < all.length ? at(all[i + 1] as string) : undefined).trimEnd(),
      );
    assert.deepEqual(rows.map(cells), [
      ["acme/tool", "A tool with a description long enough to b...", "12", "", "[OK]"],
      ["tool", "Official tool", "900", "[OK]", ""],
      ["misc/tool-dev", "", "1", "", ""],
    ]);
  });

  it("filters, limits, --no-trunc and --format", async () => {
    const box = stubSandbox();
    const fmt = "{{.Name}}|{{.StarCount}}|{{.IsOfficial}}|{{.IsAutomated}}|{{.Description}}";
    const stars = await run(box, ["search", "-f", "stars=10", "--format", fmt, `${host}/tool`]);
    assert.equal(stars.code, 0, stars.stderr);
    assert.equal(
      stars.stdout,
      `acme/tool|12||[OK]|A tool with a description long enough to b...\ntool|900|[OK]||Official tool\n`,
    );
    const official = await run(box, [
      "search",
      "-f",
      "is-official=true",
      "--no-trunc",
      "--format",
      "{{.Name}}",
      `${host}/tool`,
    ]);
    assert.equal(official.stdout, "tool\n");
    const automated = await run(box, [
      "search",
      "--no-trunc",
      "-f",
      "is-automated=true",
      "--format",
      "{{.Description}}",
      `${host}/tool`,
    ]);
    assert.equal(automated.stdout, `${results[0]?.description}\n`);
    const limited = await run(box, [
      "search",
      "--limit",
      "2",
      "--format",
      "{{.Name}}",
      `${host}/tool`,
    ]);
    assert.equal(limited.stdout, "acme/tool\ntool\n");
    assert.equal(queries.at(-1), "?q=tool&n=2");
  });

  it("rejects a bad filter and a limit out of range in one line", async () => {
    const box = stubSandbox();
    const bad = await run(box, ["search", "-f", "aa=true", `${host}/tool`]);
    assert.deepEqual(bad, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Invalid filter 'aa'\n",
    });
    const stars = await run(box, ["search", "-f", "stars=many", `${host}/tool`]);
    assert.equal(stars.stderr, "Error response from daemon: Invalid filter 'stars=many'\n");
    const limit = await run(box, ["search", "--limit", "101", `${host}/tool`]);
    assert.equal(limit.code, 1);
    assert.equal(limit.stderr, 'Invalid value "101" for flag --limit\n');
  });
});
