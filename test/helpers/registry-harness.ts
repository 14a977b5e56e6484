import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { copyFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RegistryOptions } from "../../src/registry/types.ts";
import { type CertPair, makeCa, makeLeaf } from "./test-certs.ts";
import { startTokenServer, type TokenServer, type TokenServerOptions } from "./token-server.ts";

/** The ways a user meets a registry (DESIGN §6). */
export type RegistryMode = "http" | "basic" | "tls" | "mtls" | "token";

/** A running `docker-registry` (distribution 2.8) on 127.0.0.1, stopped by `stop()` or at exit. */
export interface RegistryHarness {
  mode: RegistryMode;
  /** `127.0.0.1:<port>`: the host part of image names and the certs.d folder name. */
  host: string;
  /** `http://` or `https://` + host. */
  url: string;
  /** Temp folder holding the registry's storage, config, log and certificates. */
  root: string;
  /** A certs.d folder: `<host>/ca.crt` (TLS modes) and `<host>/client.cert` + `.key` (mtls). */
  certsDir: string;
  /** Test user (basic and token modes). */
  credentials?: { username: string; password: string };
  /** mtls: a client pair signed by a CA the registry does not trust. */
  foreignClient?: CertPair;
  /** token mode: the token server, with its request log. */
  tokenServer?: TokenServer;
  /** Options for a RegistryClient that reaches this registry (merge `extra` over them). */
  clientOptions(extra?: Partial<RegistryOptions>): RegistryOptions;
  /** `skopeo copy [--all] oci:<layoutDir>:<tag> docker://<host>/<repo>`, with the right creds/certs. */
  push(
    layoutDir: string,
    tag: string,
    repo: string,
    opts?: { all?: boolean; format?: "v2s1" | "v2s2" | "oci" },
  ): Promise<void>;
  /**
   * The registry's log (access lines included) once it has written out the requests it
   * answered: it logs a request after sending the response, so a client can be done before its
   * line is there. Waits until the file has not grown for a moment. Use it to count or look for
   * requests, and before taking a `length` mark to slice later lines from. (There is no
   * immediate read of the log: it would miss lines.)
   */
  settledLog(): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Token server tweaks (token mode). */
  token?: Partial<Omit<TokenServerOptions, "keyFile" | "issuer" | "service" | "users">>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** How long a log file must stay the same size to count as written out. */
const LOG_QUIET_MS = 300;

/** The file's text once it has not grown for `LOG_QUIET_MS`. */
async function settledFile(file: string): Promise<string> {
  let size = statSync(file).size;
  let quietSince = Date.now();
  while (Date.now() - quietSince < LOG_QUIET_MS) {
    await new Promise((r) => setTimeout(r, 20));
    const now = statSync(file).size;
    if (now !== size) [size, quietSince] = [now, Date.now()];
  }
  return readFileSync(file, "utf8");
}

/** Blob uploads `reg` has seen so far: upload sessions opened and blob data sent. */
export async function blobWrites(reg: RegistryHarness): Promise<number> {
  const log = await reg.settledLog();
  return (log.match(/"(POST|PUT|PATCH) \/v2\/[^ "]+\/blobs\/uploads\//g) ?? []).length;
}

async function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not start:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
}

const USER = { username: "alice", password: "s3cret:with:colons" };

function htpasswd(file: string): void {
  const r = spawnSync("htpasswd", ["-iBc", file, USER.username], { input: USER.password });
  if (r.status === 0) return;
  // No apache2-utils: Python's crypt makes the same bcrypt line.
  const py = spawnSync(
    "python3",
    [
      "-W",
      "ignore",
      "-c",
      "import crypt,sys; print(sys.argv[1]+':'+crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))",
      USER.username,
    ],
    { input: USER.password, encoding: "utf8" },
  );
  if (py.status !== 0) throw new Error(`cannot make an htpasswd file: ${py.stderr}`);
  writeFileSync(file, py.stdout);
}

/** Starts a registry in `mode`; call `stop()` in `after()`. */
export async function startRegistry(
  mode: RegistryMode,
  opts: HarnessOptions = {},
): Promise<RegistryHarness> {
  installExitHook();
  const root = mkdtempSync(join(tmpdir(), `registry-${mode}-`));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const certsDir = join(root, "certs.d");
  const hostCerts = join(certsDir, host);
  mkdirSync(hostCerts, { recursive: true });
  const tlsDir = join(root, "tls");
  const secure = mode === "tls" || mode === "mtls";
  const cfg: string[] = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    `  filesystem: {rootdirectory: ${join(root, "data")}}`,
    "  delete: {enabled: true}",
    "http:",
    `  addr: ${host}`,
    "  secret: harness-secret",
    "compatibility:",
    "  schema1: {enabled: true}",
    "validation:",
    "  manifests:",
    "    urls:",
    "      allow: ['^https?://127\\.0\\.0\\.1']",
  ];
  let foreignClient: CertPair | undefined;
  if (secure) {
    const ca = makeCa(tlsDir, "registry-ca");
    const server = makeLeaf(tlsDir, "server", ca, "server");
    await copyFile(ca.cert, join(hostCerts, "ca.crt"));
    const tls = [`  tls:`, `    certificate: ${server.cert}`, `    key: ${server.key}`];
    if (mode === "mtls") {
      const clientCa = makeCa(tlsDir, "client-ca");
      const client = makeLeaf(tlsDir, "client", clientCa, "client");
      await copyFile(client.cert, join(hostCerts, "client.cert"));
      await copyFile(client.key, join(hostCerts, "client.key"));
      const otherCa = makeCa(tlsDir, "other-ca");
      foreignClient = makeLeaf(tlsDir, "foreign-client", otherCa, "client");
      tls.push(`    clientcas: [${clientCa.cert}]`);
    }
    cfg.splice(cfg.indexOf("  secret: harness-secret") + 1, 0, ...tls);
  }
  let tokenServer: TokenServer | undefined;
  if (mode === "basic") {
    htpasswd(join(root, "htpasswd"));
    cfg.push("auth:", "  htpasswd:", "    realm: harness", `    path: ${join(root, "htpasswd")}`);
  }
  if (mode === "token") {
    mkdirSync(tlsDir, { recursive: true });
    const signer = makeCa(tlsDir, "token-signer");
    tokenServer = await startTokenServer({
      keyFile: signer.key,
      issuer: "harness-issuer",
      service: "harness-registry",
      users: { [USER.username]: USER.password },
      ...opts.token,
    });
    cfg.push(
      "auth:",
      "  token:",
      `    realm: ${tokenServer.realm}`,
      "    service: harness-registry",
      "    issuer: harness-issuer",
      `    rootcertbundle: ${signer.cert}`,
    );
  }
  const configFile = join(root, "config.yml");
  writeFileSync(configFile, `${cfg.join("\n")}\n`);
  const logFile = join(root, "registry.log");
  const out = openSync(logFile, "a");
  const child = spawn("docker-registry", ["serve", configFile], { stdio: ["ignore", out, out] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  await waitForPort(port, child, logFile);

  const credentials = mode === "basic" || mode === "token" ? { ...USER } : undefined;
  const authFile = join(root, "skopeo-auth.json");
  if (credentials) {
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  }
  const url = `${secure ? "https" : "http"}://${host}`;
  return {
    mode,
    host,
    url,
    root,
    certsDir,
    ...(credentials && { credentials }),
    ...(foreignClient && { foreignClient }),
    ...(tokenServer && { tokenServer }),
    clientOptions(extra = {}) {
      return {
        certsDir,
        insecureRegistries: secure ? [] : [host],
        skipVerifyEnforce: false,
        mirrors: [],
        credentialsFor: (h) => (h === host ? credentials : undefined),
        transfer: { retryDelayMs: 10, maxRetryDelayMs: 50 },
        ...extra,
      };
    },
    async push(layoutDir, tag, repo, o = {}) {
      const args = ["copy", "--insecure-policy", "--quiet", "--retry-times", "2"];
      if (o.all) args.push("--all");
      if (o.format) args.push("--format", o.format);
      if (secure) args.push("--dest-cert-dir", hostCerts);
      else args.push("--dest-tls-verify=false");
      if (credentials) args.push("--dest-authfile", authFile);
      args.push(`oci:${layoutDir}:${tag}`, `docker://${host}/${repo}`);
      await promisify(execFile)("skopeo", args, {
        env: { ...process.env, REGISTRY_AUTH_FILE: authFile },
      });
    },
    settledLog: () => settledFile(logFile),
    async stop() {
      await tokenServer?.close();
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
