// Credentials from Docker's config.json and credential helpers (issue #7), end to end: `isula
// pull` against the real registry with basic auth, with no `isula login`, the credentials coming
// from `$DOCKER_CONFIG/config.json` (`auths`, `credHelpers`, `credsStore`) and from fake
// `docker-credential-<name>` scripts on PATH. Our own auths.json stays first. Needs
// `npm run build` first.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ImageStore } from "../../src/image/image-store.ts";
import { sampleImage } from "../helpers/image-builder.ts";
import { writeOciLayout } from "../helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../helpers/registry-harness.ts";
import { runProcess } from "../helpers/run-process.ts";
import { snapshotStore } from "../helpers/store-snapshot.ts";
import {
  assertBuilt,
  ensureDaemon,
  makeSandbox,
  ROOT,
  type Sandbox,
  TEST_MODE,
} from "./harness.ts";

let reg: RegistryHarness;
/** Like Docker Hub: it challenges, and gives anonymous callers pull tokens. */
let pub: RegistryHarness;
let creds: { username: string; password: string };

before(async () => {
  assertBuilt();
  reg = await startRegistry("basic");
  pub = await startRegistry("token", { token: { anonymousPull: true } });
  creds = reg.credentials ?? assert.fail("basic mode has credentials");
  const box = makeSandbox();
  const layout = join(box.dir, "layout");
  await writeOciLayout(layout, [{ tag: "1", image: await sampleImage("gzip", "docker-creds") }]);
  await reg.push(layout, "1", "team/app:1");
  await pub.push(layout, "1", "team/app:1");
});

after(async () => {
  await reg?.stop();
  await pub?.stop();
});

/**
 * A sandbox whose `DOCKER_CONFIG` holds `config`, with `helpers` (name → shell body) on PATH as
 * `docker-credential-<name>` scripts that log each server they are asked for to `<bin>/asked`.
 */
function sandbox(config: unknown, helpers: Record<string, string> = {}) {
  const box = makeSandbox();
  const file = join(box.dir, "daemon.json");
  const daemonJson = JSON.parse(readFileSync(file, "utf8"));
  const insecure = [reg.host, pub.host];
  writeFileSync(file, JSON.stringify({ ...daemonJson, "insecure-registries": insecure }));
  const dockerDir = join(box.dir, "docker");
  const bin = join(box.dir, "bin");
  mkdirSync(dockerDir);
  mkdirSync(bin);
  writeFileSync(join(dockerDir, "config.json"), JSON.stringify(config));
  for (const [name, body] of Object.entries(helpers)) {
    const script = join(bin, `docker-credential-${name}`);
    writeFileSync(
      script,
      `#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\necho "$server" >> "${bin}/asked"\n${body}\n`,
    );
    chmodSync(script, 0o755);
  }
  Object.assign(box.env, { DOCKER_CONFIG: dockerDir, PATH: `${bin}:${process.env.PATH}` });
  const asked = () => {
    const f = join(bin, "asked");
    return existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean) : [];
  };
  return { box, asked };
}

async function isula(box: Sandbox, args: string[], input?: string) {
  ensureDaemon(box);
  return runProcess(join(ROOT, "bin", "isula"), args, {
    cwd: join(box.dir, "work"),
    env: box.env,
    ...(input !== undefined ? { input } : {}),
  });
}

function snapshot(box: Sandbox) {
  ensureDaemon(box);
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    return snapshotStore(store);
  } finally {
    store.close();
  }
}

const answer = (c: { username: string; password: string }) =>
  `echo '{"ServerURL":"x","Username":"${c.username}","Secret":"${c.password}"}'`;

/** Neither the output nor (in daemon mode) the daemon's DEBUG log holds any of `secrets`. */
function assertNoSecret(box: Sandbox, r: { stdout: string; stderr: string }, ...secrets: string[]) {
  const text = r.stdout + r.stderr;
  for (const s of secrets) assert.ok(!text.includes(s), `the output holds "${s}"`);
  const logFile = join(box.dir, "daemon.log");
  if (TEST_MODE !== "daemon") return;
  const log = readFileSync(logFile, "utf8");
  assert.match(log, /DEBUG isulad: registry .*ping 401/, "the daemon logged the pull");
  for (const s of secrets) assert.ok(!log.includes(s), `the daemon log holds "${s}"`);
}

describe(`credentials from Docker's config (${TEST_MODE} mode)`, () => {
  it("a credHelpers entry runs docker-credential-<name> get for the registry", async () => {
    const { box, asked } = sandbox(
      { credHelpers: { [reg.host]: "fake" } },
      { fake: answer(creds) },
    );
    const r = await isula(box, ["pull", `${reg.host}/team/app:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(asked(), [reg.host], "asked once, with the registry's host on stdin");
    const basic = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
    assertNoSecret(box, r, creds.password, basic);
  });

  it("an auths entry with base64 user:pass is used, under an https:// key too", async () => {
    const auth = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
    const { box } = sandbox({ auths: { [`https://${reg.host}/v1/`]: { auth } } });
    const r = await isula(box, ["pull", `${reg.host}/team/app:1`]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("a failing credsStore helper fails the pull with one clear line, store unchanged", async () => {
    const { box } = sandbox(
      { credsStore: "broken" },
      { broken: "echo 'keychain is locked' >&2; exit 4" },
    );
    const before = snapshot(box);
    const r = await isula(box, ["pull", `${reg.host}/team/app:1`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim().split("\n").at(-1),
      `Failed to pull image ${reg.host}/team/app:1 with error: Failed to get credentials for ` +
        `${reg.host}: getting credentials for "${reg.host}" from "docker-credential-broken": ` +
        "exit status 4: keychain is locked",
    );
    assert.deepEqual(snapshot(box), before);
  });

  it("a helper's wrong password is refused by the registry and never printed", async () => {
    const wrong = { username: creds.username, password: "Not-the-Pa55word" };
    const { box } = sandbox({ credsStore: "wrong" }, { wrong: answer(wrong) });
    const r = await isula(box, ["pull", `${reg.host}/team/app:1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Failed to pull image .* with error: .*unauthorized/);
    const basic = Buffer.from(`${wrong.username}:${wrong.password}`).toString("base64");
    assertNoSecret(box, r, wrong.password, basic);
  });

  it("our auths.json comes first: after isula login the helper is not asked", async () => {
    const wrong = { username: creds.username, password: "Not-the-Pa55word" };
    const { box, asked } = sandbox({ credsStore: "wrong" }, { wrong: answer(wrong) });
    const login = await isula(
      box,
      ["login", "-u", creds.username, "--password-stdin", reg.host],
      `${creds.password}\n`,
    );
    assert.equal(login.code, 0, login.stderr);
    const r = await isula(box, ["pull", `${reg.host}/team/app:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(asked(), []);
  });

  it("a credsStore helper missing from PATH: a public image pulls anonymously, with a warning", async () => {
    const { box } = sandbox({ credsStore: "desktop" });
    const r = await isula(box, ["pull", `${pub.host}/team/app:1`]);
    assert.equal(r.code, 0, r.stderr);
    const warning =
      `credsStore "desktop" in "${join(box.dir, "docker", "config.json")}": ` +
      `"docker-credential-desktop" not found on PATH; going on without it for ${pub.host}`;
    if (TEST_MODE === "daemon") {
      assert.ok(
        readFileSync(join(box.dir, "daemon.log"), "utf8").includes(`WARN  isulad: ${warning}`),
      );
      assert.doesNotMatch(r.stderr, /WARNING/);
    } else {
      assert.ok(r.stderr.split("\n").includes(`WARNING: ${warning}`), r.stderr);
    }
    const images = await isula(box, ["images"]);
    assert.match(images.stdout, new RegExp(`${pub.host}/team/app +1 `));
  });

  it("a credHelpers helper missing from PATH fails the pull naming it, store unchanged", async () => {
    const { box } = sandbox({ credHelpers: { [pub.host]: "gone" } });
    const before = snapshot(box);
    const r = await isula(box, ["pull", `${pub.host}/team/app:1`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim().split("\n").at(-1),
      `Failed to pull image ${pub.host}/team/app:1 with error: Failed to get credentials for ` +
        `${pub.host}: getting credentials for "${pub.host}" from "docker-credential-gone": ` +
        "not found on PATH",
    );
    assert.deepEqual(snapshot(box), before);
  });

  it("the daemon answers other requests while a credential helper runs", {
    skip: TEST_MODE !== "daemon" && "one CLI process per request in direct mode",
  }, async (t) => {
    const SLEEP_MS = 4000;
    const { box, asked } = sandbox(
      { credHelpers: { [reg.host]: "slow" } },
      { slow: `sleep ${SLEEP_MS / 1000}\n${answer(creds)}` },
    );
    let slowDone = false;
    const slow = isula(box, ["pull", `${reg.host}/team/app:1`]).finally(() => {
      slowDone = true;
    });
    const waitUntil = Date.now() + 20_000;
    while (asked().length === 0 && Date.now() < waitUntil) await sleep(10);
    const helperStarted = Date.now();
    assert.deepEqual(asked(), [reg.host], "the slow helper was asked");

    const [other, images] = await Promise.all([
      isula(box, ["pull", `${pub.host}/team/app:1`]),
      isula(box, ["images"]),
    ]);
    const elapsed = Date.now() - helperStarted;
    assert.equal(other.code, 0, other.stderr);
    assert.equal(images.code, 0, images.stderr);
    assert.equal(slowDone, false, "the slow pull is still waiting for its helper");
    assert.ok(elapsed < SLEEP_MS - 500, `other requests took ${elapsed} ms`);
    t.diagnostic(`a pull and images answered in ${elapsed} ms while the helper slept`);

    const r = await slow;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - helperStarted >= SLEEP_MS - 100, "the helper was waited for");
    const list = await isula(box, ["images"]);
    assert.match(list.stdout, new RegExp(`${reg.host}/team/app +1 `));
    assert.match(list.stdout, new RegExp(`${pub.host}/team/app +1 `));
  });
});
