// `isula -H tcp://... --tls*` against a spawned `bin/isulad -H tcp://... --tlsverify` (issue #4,
// isulad-behaviour §1.1): the right client certificate works from flags, from $HOME/.iSulad and
// from ISULAD_CERT_PATH; no certificate, a certificate of another CA, an untrusted daemon and a
// plaintext client each fail with one clear line and exit 1.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type DaemonDirs,
  daemonDirs,
  ISULA_BIN,
  killAll,
  type SpawnedDaemon,
  startReady,
} from "../../src/daemon/isulad-testing.ts";
import { runProcess } from "../helpers/run-process.ts";
import { type CertPair, makeCa, makeLeaf } from "../helpers/test-certs.ts";
import { assertBuilt, writeDockerArchive } from "./harness.ts";

const CANNOT_CONNECT = "Can not connect with server.Is the iSulad daemon running on the host?";

/** A port nothing listens on right now (the daemon binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let dirs: DaemonDirs;
let daemon: SpawnedDaemon;
let tcp: string;
let home: string;
let ca: CertPair;
let client: CertPair;
let intruder: CertPair;
let foreignCa: CertPair;

before(async () => {
  assertBuilt();
  dirs = daemonDirs();
  const pki = join(dirs.root, "pki");
  ca = makeCa(pki, "ca");
  const server = makeLeaf(pki, "server", ca, "server");
  client = makeLeaf(pki, "client", ca, "client");
  foreignCa = makeCa(join(pki, "foreign"), "foreign");
  intruder = makeLeaf(join(pki, "foreign"), "intruder", foreignCa, "client");
  home = join(dirs.root, "home");
  mkdirSync(home);

  tcp = `tcp://127.0.0.1:${await freePort()}`;
  const tls = ["--tlsverify", "--tlscacert", ca.cert, "--tlscert", server.cert];
  daemon = await startReady(dirs, ["-H", tcp, ...tls, "--tlskey", server.key]);
  await writeDockerArchive(join(dirs.root, "a.tar"), { repoTags: ["tls/a:1"] });
});

after(async () => {
  if (daemon.child.exitCode === null) daemon.child.kill("SIGTERM");
  await daemon.exited;
  killAll();
  dirs.cleanup();
});

/** Runs `isula <command> -H <tcp> <args>` with a HOME of its own and no ISULAD_* variables. */
function isula(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { PATH: process.env.PATH, HOME: home, ISULAD_CONFIG: dirs.configFile };
  return runProcess(ISULA_BIN, [command, "-H", tcp, ...args], { env: { ...base, ...env } });
}

const withClientCert = () => [
  "--tlsverify",
  "--tlscacert",
  ca.cert,
  "--tlscert",
  client.cert,
  "--tlskey",
  client.key,
];

describe("isula --tls* against a daemon with --tlsverify", () => {
  it("loads and lists through tcp:// with a client certificate of the daemon's CA", async () => {
    const load = await isula("load", [...withClientCert(), "-i", join(dirs.root, "a.tar")]);
    assert.equal(load.code, 0, load.stderr);
    const r = await isula("images", withClientCert());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tls\/a +1 /m);
  });

  it("takes ca.pem, cert.pem and key.pem from $HOME/.iSulad by default", async () => {
    const dir = join(home, ".iSulad");
    mkdirSync(dir, { recursive: true });
    copyFileSync(ca.cert, join(dir, "ca.pem"));
    copyFileSync(client.cert, join(dir, "cert.pem"));
    copyFileSync(client.key, join(dir, "key.pem"));
    const r = await isula("images", ["--tlsverify"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tls\/a +1 /m);
  });

  it("takes ISULAD_TLS_VERIFY and ISULAD_CERT_PATH from the environment", async () => {
    const dir = join(dirs.root, "certpath");
    mkdirSync(dir, { recursive: true });
    copyFileSync(ca.cert, join(dir, "ca.pem"));
    copyFileSync(client.cert, join(dir, "cert.pem"));
    copyFileSync(client.key, join(dir, "key.pem"));
    const env = { ISULAD_TLS_VERIFY: "1", ISULAD_CERT_PATH: dir };
    const r = await isula("images", ["-q"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 1);
  });

  it("says the daemon wants a client certificate when none is given", async () => {
    // A HOME without .iSulad: no default client pair either.
    const bare = join(dirs.root, "bare-home");
    mkdirSync(bare, { recursive: true });
    const r = await isula("images", ["--tlsverify", "--tlscacert", ca.cert], { HOME: bare });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `${CANNOT_CONNECT} (${tcp}: TLS: the daemon requires a client certificate (--tlscert, --tlskey))\n`,
    );
  });

  it("is refused with a certificate from another CA", async () => {
    const args = ["--tlsverify", "--tlscacert", ca.cert, "--tlscert", intruder.cert];
    const r = await isula("images", [...args, "--tlskey", intruder.key]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^Can not connect with server\.Is the iSulad daemon running on the host\? /,
    );
    assert.match(r.stderr, /it may not trust the client certificate \(--tlscert\)\)\n$/);
  });

  it("refuses a daemon whose certificate --tlscacert does not trust", async () => {
    const args = ["--tlsverify", "--tlscacert", foreignCa.cert, "--tlscert", client.cert];
    const r = await isula("images", [...args, "--tlskey", client.key]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TLS: the daemon's certificate is not trusted by --tlscacert: .+\)\n$/);
  });

  it("hints at TLS when a plaintext client meets the TLS port", async () => {
    const r = await isula("images", []);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `${CANNOT_CONNECT} (${tcp}: the connection closed before any reply; does the daemon want TLS (--tlsverify)?)\n`,
    );
  });

  it("names a TLS file it cannot read, and a certificate without its key", async () => {
    const missing = join(dirs.root, "nope.pem");
    const r = await isula("images", ["--tlsverify", "--tlscacert", ca.cert, "--tlscert", missing]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `reading TLS certificate "${missing}": no such file\n`);

    const lone = await isula("images", ["--tls", "--tlscert", client.cert, "--tlskey", missing]);
    assert.equal(lone.stderr, `reading TLS key "${missing}": no such file\n`);
  });

  it("ignores the TLS options on a unix socket, as iSulad does", async () => {
    const args = ["-H", `unix://${dirs.socket}`, "--tlsverify", "--tlscacert", "/nonexistent"];
    const base = { PATH: process.env.PATH, HOME: home, ISULAD_CONFIG: dirs.configFile };
    const r = await runProcess(ISULA_BIN, ["images", ...args], { env: base });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^tls\/a +1 /m);
  });
});
