// No credentials in the daemon log, in what `isula` prints, or in `inspect` (issue #6): a daemon
// logging at TRACE (debug lines included) logs in and pulls against the real registry with basic
// and with token auth, and is fed the answers of a registry that echoes our Authorization header.
// Then every byte of its log is searched for the password, its base64 forms and each token.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { sampleImage } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { runProcess } from "../../test/helpers/run-process.ts";
import {
  type DaemonDirs,
  daemonDirs,
  ISULA_BIN,
  killAll,
  readLog,
  type SpawnedDaemon,
  startReady,
} from "./isulad-testing.ts";

after(killAll);

let layoutDir: string;

before(async () => {
  layoutDir = join(mkdtempSync(join(tmpdir(), "log-creds-")), "layout");
  await writeOciLayout(layoutDir, [{ tag: "1", image: await sampleImage("gzip", "log-creds") }]);
});

/** The secrets of `creds` in every form a log could hold them. */
function secretForms(creds: { username: string; password: string }): string[] {
  const { username, password } = creds;
  return [
    password,
    Buffer.from(`${username}:${password}`).toString("base64"),
    Buffer.from(password).toString("base64"),
  ];
}

function assertClean(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} holds "${s}"`);
}

/** A daemon at TRACE for `reg` (insecure or with its certs.d), HOME in its own folder. */
async function daemonFor(
  t: { after: (fn: () => unknown) => void },
  hosts: string[],
  certsDir?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{
  dirs: DaemonDirs;
  d: SpawnedDaemon;
  isula: (args: string[], input?: string) => ReturnType<typeof isulaOf>;
}> {
  const dirs = daemonDirs({ "insecure-registries": hosts });
  t.after(dirs.cleanup);
  if (certsDir) cpSync(certsDir, join(dirs.root, "certs.d"), { recursive: true });
  const d = await startReady(dirs, ["-l", "TRACE"], { ...process.env, HOME: dirs.root, ...env });
  return { dirs, d, isula: (args, input) => isulaOf(dirs, args, input) };
}

async function isulaOf(dirs: DaemonDirs, args: string[], input?: string) {
  const [command, ...rest] = args as [string, ...string[]];
  return runProcess(ISULA_BIN, [command, "-H", `unix://${dirs.socket}`, ...rest], {
    env: { ...process.env, HOME: dirs.root },
    ...(input !== undefined ? { input } : {}),
  });
}

async function stop(d: SpawnedDaemon): Promise<void> {
  d.child.kill("SIGTERM");
  assert.equal(await d.exited, 0);
}

test("a login through the daemon at log level TRACE leaves no credential in the log", async (t) => {
  const reg = await startRegistry("basic");
  t.after(() => reg.stop());
  const dirs = daemonDirs({ "insecure-registries": [reg.host] });
  t.after(dirs.cleanup);
  const env = { ...process.env, HOME: dirs.root };
  const d = await startReady(dirs, ["-l", "TRACE"], env);
  const { username, password } = reg.credentials ?? assert.fail("basic mode has credentials");

  const login = spawnSync(ISULA_BIN, ["login", "-u", username, "-p", password, reg.host], {
    encoding: "utf8",
    env: { ...env, ISULAD_HOST: `unix://${dirs.socket}` },
  });
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stderr, /Login Succeeded/);
  d.child.kill("SIGTERM");
  assert.equal(await d.exited, 0);

  const log = readLog(dirs);
  assert.match(log, /TRACE isulad: request login server=/, "the login was logged");
  assertClean("the log", log, secretForms({ username, password }));
});

for (const mode of ["basic", "token"] as const) {
  test(`login, a wrong login and pull with ${mode} auth: no password or token in log, output or inspect`, async (t) => {
    const reg: RegistryHarness = await startRegistry(mode);
    t.after(() => reg.stop());
    await reg.push(layoutDir, "1", "team/app:1");
    const creds = reg.credentials ?? assert.fail(`${mode} mode has credentials`);
    const { dirs, d, isula } = await daemonFor(
      t,
      reg.url.startsWith("http:") ? [reg.host] : [],
      reg.certsDir,
    );

    const wrong = { username: creds.username, password: "wrong-Pa55word-zz" };
    const bad = await isula(
      ["login", "-u", wrong.username, "--password-stdin", reg.host],
      `${wrong.password}\n`,
    );
    assert.equal(bad.code, 1);
    const good = await isula(
      ["login", "-u", creds.username, "--password-stdin", reg.host],
      `${creds.password}\n`,
    );
    assert.equal(good.code, 0, good.stderr);
    const pulled = await isula(["pull", `${reg.host}/team/app:1`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const inspect = await isula(["inspect", `${reg.host}/team/app:1`]);
    assert.equal(inspect.code, 0, inspect.stderr);
    await stop(d);

    const log = readLog(dirs);
    assert.match(log, /DEBUG isulad: registry .*ping 401/, "registry protocol lines were logged");
    const tokens = reg.tokenServer?.issued ?? [];
    if (mode === "token") assert.ok(tokens.length >= 2, "tokens were handed out");
    // A JWT's signature alone is as good as the token to whoever may replay it.
    const secrets = [
      ...secretForms(creds),
      ...secretForms(wrong),
      ...tokens,
      ...tokens.map((tok) => tok.split(".")[2] as string),
    ];
    assertClean("the daemon log", log, secrets);
    for (const r of [bad, good, pulled, inspect])
      assertClean("isula output", r.stdout + r.stderr, secrets);
  });
}

test("a registry that echoes our Authorization header: neither the user nor the log sees it", async (t) => {
  const creds = { username: "echo-user", password: "Echo-pa55-word" };
  const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization === undefined) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="echo"' }).end();
      return;
    }
    const echoed = `header ${req.headers.authorization} for https://${creds.username}:${creds.password}@x/ ${creds.password}`;
    res.writeHead(403, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: "DENIED", message: echoed }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The credentials come from Docker's config.json (issue #7): no login first.
  const dockerDir = mkdtempSync(join(tmpdir(), "echo-docker-"));
  mkdirSync(dockerDir, { recursive: true });
  writeFileSync(
    join(dockerDir, "config.json"),
    JSON.stringify({ auths: { [host]: { auth: basic.slice(6) } } }),
  );
  const { dirs, d, isula } = await daemonFor(t, [host], undefined, { DOCKER_CONFIG: dockerDir });

  const r = await isula(["pull", `${host}/team/app:1`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Failed to pull image .* access denied \(denied: header .*<redacted>/);
  await stop(d);
  const secrets = [...secretForms(creds), basic.slice(6)];
  assertClean("isula output", r.stdout + r.stderr, secrets);
  assertClean("the daemon log", readLog(dirs), secrets);
});
