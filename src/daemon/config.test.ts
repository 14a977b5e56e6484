import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type DaemonConfig, loadDaemonConfig } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "isulad-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Writes a daemon.json and returns the argv that points at it. */
function withFile(json: unknown): string[] {
  const file = join(dir, `daemon-${n++}.json`);
  writeFileSync(file, typeof json === "string" ? json : JSON.stringify(json));
  return ["--config-file", file];
}

function load(json: unknown, flags: string[] = []): DaemonConfig {
  const cmd = loadDaemonConfig([...withFile(json), ...flags], { HOME: dir });
  assert.equal(cmd.kind, "run");
  return (cmd as { config: DaemonConfig }).config;
}

describe("loadDaemonConfig precedence: defaults < file < flags", () => {
  const cases: { name: string; json: unknown; flags?: string[]; check(c: DaemonConfig): void }[] = [
    {
      name: "defaults when the file is empty",
      json: {},
      check: (c) => {
        assert.equal(c.log.level, "INFO");
        assert.equal(c.log.driver, "file");
        assert.equal(c.log.maxFile, 7);
        assert.equal(c.log.maxSize, 1024 * 1024);
        assert.equal(c.log.fileMode, 0o600);
        assert.equal(c.storageDriver, "overlay2");
        assert.equal(c.useDecryptedKey, true);
        assert.equal(c.imageLayerCheck, false);
        assert.equal(c.registry.maxConcurrentDownloads, 5);
        assert.equal(c.hosts.length, 1);
      },
    },
    {
      name: "the file sets graph, log-level and log-opts",
      json: { graph: "/srv/g", "log-level": "debug", "log-opts": { "max-size": "30KB" } },
      check: (c) => {
        assert.equal(c.graph, "/srv/g");
        assert.equal(c.log.level, "DEBUG");
        assert.equal(c.log.maxSize, 30 * 1024);
      },
    },
    {
      name: "flags win over the file",
      json: { graph: "/srv/g", "log-level": "DEBUG", "storage-driver": "overlay" },
      flags: ["-g", "/srv/h", "-l", "WARN", "--storage-driver=overlay2"],
      check: (c) => {
        assert.equal(c.graph, "/srv/h");
        assert.equal(c.log.level, "WARN");
        assert.equal(c.storageDriver, "overlay2");
      },
    },
    {
      name: "list keys are appended, file first",
      json: { "registry-mirrors": ["https://m1"], "insecure-registries": ["a:5000"] },
      flags: [
        "--registry-mirrors",
        "https://m2",
        "--insecure-registry",
        "b:5000",
        "-s",
        "overlay2.size=1G",
      ],
      check: (c) => {
        assert.deepEqual(c.registry.registryMirrors, ["https://m1", "https://m2"]);
        assert.deepEqual(c.registry.insecureRegistries, ["a:5000", "b:5000"]);
        assert.deepEqual(c.storageOpts, ["overlay2.size=1G"]);
      },
    },
    {
      name: "image-layer-check and insecure-skip-verify-enforce stay on when the file sets them",
      json: { "image-layer-check": true, "insecure-skip-verify-enforce": true },
      flags: ["--image-layer-check=false", "--insecure-skip-verify-enforce=false"],
      check: (c) => {
        assert.equal(c.imageLayerCheck, true);
        assert.equal(c.registry.insecureSkipVerifyEnforce, true);
      },
    },
    {
      name: "several -H flags and log options by flag",
      json: {},
      flags: ["-H", "unix:///run/a.sock", "-H", "unix:///run/b.sock", "--log-opt", "max-file=3"],
      check: (c) => {
        assert.deepEqual(c.hosts, ["unix:///run/a.sock", "unix:///run/b.sock"]);
        assert.equal(c.log.maxFile, 3);
      },
    },
    {
      name: "max-concurrent-downloads from the flag",
      json: { "max-concurrent-downloads": 2 },
      flags: ["--max-concurrent-downloads", "9"],
      check: (c) => assert.equal(c.registry.maxConcurrentDownloads, 9),
    },
    {
      name: "pull-timeout from daemon.json, and the flag over it",
      json: { "pull-timeout": 90 },
      flags: ["--pull-timeout", "10m"],
      check: (c) => assert.equal(c.registry.pullTimeoutMs, 600_000),
    },
    {
      name: "container keys of an iSulad daemon.json are ignored, and named",
      json: { "native.umask": "normal", engine: "lcr", "pod-sandbox-image": "" },
      check: (c) =>
        assert.deepEqual(c.ignoredKeys, ["native.umask", "engine", "pod-sandbox-image"]),
    },
    {
      name: "a tcp host with --tlsverify and its files",
      json: {},
      flags: [
        "-H",
        "tcp://127.0.0.1:2375",
        "--tlsverify",
        "--tlscacert",
        "/c/ca.pem",
        "--tlscert",
        "/c/c.pem",
        "--tlskey",
        "/c/k.pem",
      ],
      check: (c) =>
        assert.deepEqual(c.tls, {
          verify: true,
          ca: "/c/ca.pem",
          cert: "/c/c.pem",
          key: "/c/k.pem",
        }),
    },
  ];
  for (const c of cases) test(c.name, () => c.check(load(c.json, c.flags)));
});

describe("loadDaemonConfig rejects, naming the key or flag", () => {
  const cases: { json: unknown; flags?: string[]; message: RegExp }[] = [
    { json: { foo: 1 }, message: /unknown key "foo" in ".*daemon-\d+\.json"/ },
    { json: { "log-opts": { colour: "x" } }, message: /unknown key "log-opts\.colour"/ },
    { json: { "log-level": "LOUD" }, message: /"log-level" in .* must be one of FATAL, ALERT/ },
    { json: { "log-driver": "syslog" }, message: /"log-driver" .* must be "file" or "stdout"/ },
    { json: { "log-opts": { "max-size": "big" } }, message: /"log-opts\.max-size" .* size/ },
    { json: { "log-opts": { "max-file": "0" } }, message: /"log-opts\.max-file" .* positive/ },
    { json: { "storage-driver": "devicemapper" }, message: /"storage-driver" .* "overlay2"/ },
    { json: { "storage-opts": ["dm.fs=ext4"] }, message: /"storage-opts\.0" .* overlay2 option/ },
    { json: { "image-layer-check": "yes" }, message: /"image-layer-check" .* true or false/ },
    { json: { hosts: ["http://x"] }, message: /"hosts\.0" .* unix:\/\/\// },
    { json: { graph: "relative" }, message: /"graph" in .* absolute path/ },
    { json: { "registry-mirrors": "m" }, message: /"registry-mirrors" in .* list of non-empty/ },
    {
      json: { "max-concurrent-downloads": 0 },
      message: /"max-concurrent-downloads" in .* 1 to 128/,
    },
    { json: "{not json", message: /is not valid JSON/ },
    {
      json: { hosts: ["unix:///run/a.sock"] },
      flags: ["-H", "unix:///run/b.sock"],
      message:
        /^the following directives are specified both as a flag and in the configuration file: hosts: \(from flag: \[unix:\/\/\/run\/b\.sock\], from file: \[unix:\/\/\/run\/a\.sock\]\)$/,
    },
    { json: {}, flags: ["--log-level", "LOUD"], message: /^flag --log-level must be one of/ },
    { json: {}, flags: ["-g", "rel"], message: /^flag -g must be an absolute path/ },
    { json: {}, flags: ["--nope"], message: /^unknown flag: --nope$/ },
    { json: {}, flags: ["-H"], message: /^flag -H needs a value$/ },
    { json: {}, flags: ["-H", "tcp//x"], message: /^Invalid socket name : tcp\/\/x$/ },
    { json: {}, flags: ["--log-opt", "max-file"], message: /^flag --log-opt needs key=value$/ },
    { json: {}, flags: ["--max-concurrent-downloads", "x"], message: /needs an integer/ },
    { json: {}, flags: ["--pull-timeout", "soon"], message: /"pull-timeout" in .* duration/ },
    { json: {}, flags: ["-H", "tcp://127.0.0.1:2375"], message: /needs --tlsverify/ },
    {
      json: {},
      flags: Array.from({ length: 11 }, (_, i) => ["-H", `unix:///run/${i}.sock`]).flat(),
      message: /more than 10/,
    },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.json)} ${c.flags?.join(" ") ?? ""} → ${c.message.source}`, () => {
      assert.throws(
        () => load(c.json, c.flags),
        (err: Error) => {
          assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});

describe("bin/isulad (built) on bad configuration", () => {
  const bin = join(import.meta.dirname, "..", "..", "bin", "isulad");
  const run = (args: string[]) =>
    spawnSync(bin, args, { encoding: "utf8", env: { ...process.env, HOME: dir } });

  test("an unknown key exits 1 with the key named and starts nothing", () => {
    const state = join(dir, "state-unknown");
    const r = run([...withFile({ state, bogus: true }), "-p", join(state, "p.pid")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^isulad: unknown key "bogus" in /);
    assert.equal(spawnSync("test", ["-e", state]).status, 1, "state directory was not created");
  });

  test("hosts given both ways exits 1 with iSulad's message", () => {
    const r = run([...withFile({ hosts: ["unix:///run/a.sock"] }), "-H", "unix:///run/b.sock"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /specified both as a flag and in the configuration file: hosts:/);
  });

  test("--help and --version exit 0", () => {
    assert.match(run(["--help"]).stdout, /--image-layer-check/);
    assert.match(run(["--version"]).stdout, /^Version \d+\.\d+\.\d+/);
  });
});
