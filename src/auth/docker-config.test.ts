import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { AuthStore } from "./auth-store.ts";
import { runCredentialHelper } from "./credential-helper.ts";
import { credentialLookup } from "./credential-sources.ts";
import {
  DOCKER_HUB_SERVER,
  dockerCredentialSource,
  keyHost,
  readDockerConfig,
} from "./docker-config.ts";

function configDir(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "docker-config-"));
  writeFileSync(join(dir, "config.json"), typeof doc === "string" ? doc : JSON.stringify(doc));
  return dir;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * A folder on PATH holding `docker-credential-<name>`, a shell script that records the server
 * it was asked for in `<dir>/asked` and then runs `body`.
 */
function fakeHelper(name: string, body: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "cred-helper-"));
  const file = join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > "${dir}/asked"\n${body}\n`);
  chmodSync(file, 0o755);
  return { path: `${dir}:${process.env.PATH ?? ""}`, dir };
}

describe("docker config.json", () => {
  it("keyHost reduces Docker's keys to a host name", () => {
    assert.equal(keyHost("https://index.docker.io/v1/"), "index.docker.io");
    assert.equal(keyHost("http://LocalHost:5000"), "localhost:5000");
    assert.equal(keyHost("127.0.0.1:5000/some/path"), "127.0.0.1:5000");
  });

  it("an auths entry gives base64 user:pass, a password may hold ':'", () => {
    const cfg = readDockerConfig(
      configDir({ auths: { "https://reg:5000/v1/": { auth: b64("al:p:w") } } }),
    );
    assert.ok(cfg);
    assert.deepEqual(dockerCredentialSource(cfg, "reg:5000"), {
      kind: "inline",
      credentials: { username: "al", password: "p:w" },
    });
    assert.deepEqual(dockerCredentialSource(cfg, "other:5000"), { kind: "none" });
  });

  it("username/password fields and identity tokens are read too", () => {
    const cfg = readDockerConfig(
      configDir({
        auths: {
          "a.example": { username: "u", password: "pw" },
          "b.example": { auth: "", identitytoken: "refresh-123" },
          "c.example": {},
        },
      }),
    );
    assert.ok(cfg);
    assert.deepEqual(dockerCredentialSource(cfg, "a.example"), {
      kind: "inline",
      credentials: { username: "u", password: "pw" },
    });
    assert.deepEqual(dockerCredentialSource(cfg, "b.example"), {
      kind: "inline",
      credentials: { username: "<token>", password: "refresh-123" },
    });
    assert.deepEqual(dockerCredentialSource(cfg, "c.example"), { kind: "none" });
  });

  it("Docker Hub credentials filed under https://index.docker.io/v1/ serve registry-1.docker.io", () => {
    const cfg = readDockerConfig(
      configDir({ auths: { [DOCKER_HUB_SERVER]: { auth: b64("h:p") } } }),
    );
    assert.ok(cfg);
    assert.deepEqual(dockerCredentialSource(cfg, "registry-1.docker.io"), {
      kind: "inline",
      credentials: { username: "h", password: "p" },
    });
  });

  it("credHelpers for the host wins over credsStore, which wins over auths", () => {
    const cfg = readDockerConfig(
      configDir({
        auths: { "a.example": { auth: b64("x:y") }, "b.example": { auth: b64("x:y") } },
        credHelpers: { "a.example": "pass" },
        credsStore: "desktop",
      }),
    );
    assert.ok(cfg);
    assert.deepEqual(dockerCredentialSource(cfg, "a.example"), {
      kind: "helper",
      helper: "pass",
      server: "a.example",
      from: "credHelpers",
    });
    assert.deepEqual(dockerCredentialSource(cfg, "b.example"), {
      kind: "helper",
      helper: "desktop",
      server: "b.example",
      from: "credsStore",
    });
    assert.deepEqual(dockerCredentialSource(cfg, "registry-1.docker.io"), {
      kind: "helper",
      helper: "desktop",
      server: DOCKER_HUB_SERVER,
      from: "credsStore",
    });
  });

  it("a missing config.json is undefined; broken ones fail naming the file, never the secret", () => {
    assert.equal(readDockerConfig(join(tmpdir(), "no-such-docker-dir-x")), undefined);
    const cases: [unknown, RegExp][] = [
      ['{"auths": {"a": {"auth": "c2VjcmV0LXNlY3JldA=="}', /is not valid JSON/],
      [[1, 2], /not a JSON object/],
      [{ auths: { a: "secret-secret" } }, /malformed "auths"/],
      [{ credHelpers: { a: "../../bin/sh" } }, /malformed "credHelpers"/],
      [{ credsStore: "a/b" }, /malformed "credsStore"/],
    ];
    for (const [doc, re] of cases) {
      const dir = configDir(doc);
      assert.throws(
        () => readDockerConfig(dir),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "FailedPrecondition" &&
          re.test(err.message) &&
          err.message.includes(join(dir, "config.json")) &&
          !err.message.includes("secret"),
      );
    }
    const cfg = readDockerConfig(configDir({ auths: { a: { auth: "!!secret!!" } } }));
    assert.ok(cfg);
    assert.throws(() => dockerCredentialSource(cfg, "a"), /malformed "auths" entry for "a"/);
  });
});

describe("docker credential helpers", () => {
  it("runCredentialHelper sends the server on stdin and reads Username/Secret", async () => {
    const h = fakeHelper("ok", `echo '{"ServerURL":"x","Username":"hu","Secret":"hs"}'`);
    const creds = await runCredentialHelper("ok", "reg.example:5000", { env: { PATH: h.path } });
    assert.deepEqual(creds, { username: "hu", password: "hs" });
    assert.equal(readFileSync(join(h.dir, "asked"), "utf8"), "reg.example:5000");
  });

  it("'credentials not found' is no credentials, not an error", async () => {
    const h = fakeHelper("none", "echo 'credentials not found in native keychain'; exit 1");
    assert.equal(await runCredentialHelper("none", "h", { env: { PATH: h.path } }), undefined);
  });

  it("failures are one clear line naming the helper, never quoting its stdout", async () => {
    const cases: [string, RegExp, number?][] = [
      [
        "echo 'token=s3cret-out'; echo 'boom: keychain locked' >&2; exit 2",
        /exit status 2: boom: keychain locked$/,
      ],
      ["echo 'not json s3cret-out'", /its answer is not JSON$/],
      [`echo '{"Username":"u","Secret":""}'`, /lacks "Username" or "Secret"$/],
      ["sleep 5", /no answer within 300 ms$/, 300],
      ["echo 'password=s3cret-err' >&2; exit 1", /exit status 1: password=<redacted>$/],
      ["head -c 70000 /dev/zero | tr '\\0' s; echo 3cret", /answer larger than 65536 bytes$/],
    ];
    for (const [i, [body, re, timeoutMs]] of cases.entries()) {
      const h = fakeHelper(`bad${i}`, body);
      const started = Date.now();
      await assert.rejects(
        () =>
          runCredentialHelper(`bad${i}`, "reg.example", {
            env: { PATH: h.path },
            ...(timeoutMs ? { timeoutMs } : {}),
          }),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "Unauthenticated" &&
          err.message.startsWith(
            `getting credentials for "reg.example" from "docker-credential-bad${i}": `,
          ) &&
          re.test(err.message) &&
          !err.message.includes("s3cret"),
        body,
      );
      if (timeoutMs) assert.ok(Date.now() - started < 4000, "the helper was not waited for");
    }
    await assert.rejects(
      () =>
        runCredentialHelper("absent", "h", { env: { PATH: mkdtempSync(join(tmpdir(), "e-")) } }),
      /"docker-credential-absent": not found on PATH$/,
    );
  });
});

describe("credentialLookup", () => {
  it("auths.json comes first, then credHelpers, once per host", async () => {
    const home = mkdtempSync(join(tmpdir(), "lookup-"));
    const authDir = join(home, ".isulad");
    new AuthStore(authDir).save("mine.example", { username: "own", password: "own-pw" });
    const h = fakeHelper(
      "count",
      `echo x >> "$(dirname "$0")/calls"\necho '{"Username":"hu","Secret":"hs"}'`,
    );
    const dockerConfigDir = configDir({
      credHelpers: { "mine.example": "count", "theirs.example": "count" },
    });
    const lookup = credentialLookup({ authDir, dockerConfigDir, env: { PATH: h.path } });
    assert.deepEqual(await lookup("mine.example"), { username: "own", password: "own-pw" });
    const both = await Promise.all([lookup("theirs.example"), lookup("theirs.example")]);
    assert.deepEqual(both, [
      { username: "hu", password: "hs" },
      { username: "hu", password: "hs" },
    ]);
    assert.deepEqual(await lookup("theirs.example"), { username: "hu", password: "hs" });
    assert.equal(await lookup("nobody.example"), undefined);
    const calls = countCalls(h.dir);
    assert.equal(calls, 1, "the helper ran once, for theirs.example only, asked twice at once");
  });

  it("a failing helper fails the lookup with the host named", async () => {
    const h = fakeHelper("fails", "exit 7");
    const lookup = credentialLookup({
      authDir: mkdtempSync(join(tmpdir(), "lookup-")),
      dockerConfigDir: configDir({ credsStore: "fails" }),
      env: { PATH: h.path },
    });
    await assert.rejects(
      () => lookup("reg.example"),
      /^ImageError: Failed to get credentials for reg.example: getting credentials for "reg.example" from "docker-credential-fails": exit status 7$/,
    );
  });

  it("without a Docker config folder only auths.json is asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookup-"));
    mkdirSync(join(dir, "d"));
    const lookup = credentialLookup({ authDir: join(dir, "a"), dockerConfigDir: join(dir, "d") });
    assert.equal(await lookup("reg.example"), undefined);
  });

  it("a helper runs while the event loop goes on", async () => {
    const h = fakeHelper("slow", `sleep 1\necho '{"Username":"hu","Secret":"hs"}'`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    try {
      const creds = await runCredentialHelper("slow", "reg.example", { env: { PATH: h.path } });
      assert.deepEqual(creds, { username: "hu", password: "hs" });
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 10, `timers ran ${ticks} times during a 1 s helper`);
  });

  it("a credsStore helper missing from PATH is skipped with a warning, auths used", async () => {
    const warnings: string[] = [];
    const dockerConfigDir = configDir({
      credsStore: "desktop",
      auths: { "b.example": { auth: b64("al:pw") } },
    });
    const lookup = credentialLookup({
      authDir: mkdtempSync(join(tmpdir(), "lookup-")),
      dockerConfigDir,
      env: { PATH: mkdtempSync(join(tmpdir(), "empty-path-")) },
      warn: (line) => warnings.push(line),
    });
    assert.equal(await lookup("a.example"), undefined);
    assert.deepEqual(await lookup("b.example"), { username: "al", password: "pw" });
    assert.deepEqual(warnings, [
      `credsStore "desktop" in "${join(dockerConfigDir, "config.json")}": ` +
        `"docker-credential-desktop" not found on PATH; going on without it for a.example`,
      `credsStore "desktop" in "${join(dockerConfigDir, "config.json")}": ` +
        `"docker-credential-desktop" not found on PATH; going on without it for b.example`,
    ]);
  });

  it("a credHelpers helper missing from PATH stays an error", async () => {
    const warnings: string[] = [];
    const lookup = credentialLookup({
      authDir: mkdtempSync(join(tmpdir(), "lookup-")),
      dockerConfigDir: configDir({ credHelpers: { "a.example": "gone" }, credsStore: "gone" }),
      env: { PATH: mkdtempSync(join(tmpdir(), "empty-path-")) },
      warn: (line) => warnings.push(line),
    });
    await assert.rejects(
      () => lookup("a.example"),
      /^ImageError: Failed to get credentials for a.example: getting credentials for "a.example" from "docker-credential-gone": not found on PATH$/,
    );
    assert.deepEqual(warnings, []);
  });

  it("a credsStore helper that is present but fails stays an error", async () => {
    const h = fakeHelper("locked", "echo 'keychain locked' >&2; exit 1");
    const warnings: string[] = [];
    const lookup = credentialLookup({
      authDir: mkdtempSync(join(tmpdir(), "lookup-")),
      dockerConfigDir: configDir({ credsStore: "locked" }),
      env: { PATH: h.path },
      warn: (line) => warnings.push(line),
    });
    await assert.rejects(() => lookup("a.example"), /exit status 1: keychain locked$/);
    assert.deepEqual(warnings, []);
  });
});

function countCalls(dir: string): number {
  const path = join(dir, "calls");
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0;
}
