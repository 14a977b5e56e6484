import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pack } from "tar-stream";

/** The repository root, where `bin/isula` and `dist/` live. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "isula");

/** Fails early with a clear sentence when the bundle has not been built. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "isula.mjs"))) {
    throw new Error("dist/isula.mjs is missing: run `npm run build` before the CLI tests");
  }
}

/** A private installation: daemon.json placing graph and state in a temp dir, and a HOME. */
export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** Creates a sandbox; nothing of the user's environment (ISULAD_*, HOME, XDG_*) leaks in. */
export function makeSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "isula-cli-"));
  for (const sub of ["home", "graph", "state", "work"]) mkdirSync(join(dir, sub));
  const config = join(dir, "daemon.json");
  writeFileSync(config, JSON.stringify({ graph: join(dir, "graph"), state: join(dir, "state") }));

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(ISULAD_|XDG_)/.test(k) && k !== "HOME") env[k] = v;
  }
  Object.assign(env, { ISULAD_CONFIG: config, HOME: join(dir, "home"), TZ: "UTC" });
  if (TEST_MODE === "daemon") env.ISULAD_HOST = `unix://${join(dir, "state", "isulad.sock")}`;
  return { dir, env };
}

/**
 * `ISULA_TEST_MODE=daemon` runs the CLI suites against a daemon (issue #4): each sandbox gets
 * its own daemon, started on the sandbox's first `isula` run (so a test may still edit
 * daemon.json and certs.d first), with `ISULAD_HOST` pointing at its socket. The daemon is
 * `bin/isulad` when it is built, else the test launcher (`ISULA_TEST_DAEMON=launcher` forces
 * it). Anything else: direct mode.
 */
export const TEST_MODE: "direct" | "daemon" =
  process.env.ISULA_TEST_MODE === "daemon" ? "daemon" : "direct";

const daemons = new Map<string, ChildProcess>();

/**
 * In daemon mode, starts the sandbox's daemon unless it runs, and waits (blocking, up to 20 s)
 * for its socket. Does nothing in direct mode. Daemons are stopped when the test process exits.
 */
export function ensureDaemon(box: Sandbox): void {
  if (TEST_MODE !== "daemon" || daemons.has(box.dir)) return;
  const host = box.env.ISULAD_HOST as string;
  const socket = host.slice("unix://".length);
  const logFile = join(box.dir, "daemon.log");
  const log = openSync(logFile, "a");
  const useBin =
    process.env.ISULA_TEST_DAEMON !== "launcher" && existsSync(join(ROOT, "dist", "isulad.mjs"));
  const args = useBin
    ? [join(ROOT, "bin", "isulad"), "-H", host, "--log-level", "DEBUG", "--log-driver", "stdout"]
    : ["--import", "tsx", join(ROOT, "test", "helpers", "daemon-launcher.ts"), host];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: box.env,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  child.unref();
  daemons.set(box.dir, child);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + 20_000; !existsSync(socket); ) {
    if (Date.now() > deadline) {
      throw new Error(
        `the test daemon did not listen on ${host}: ${readFileSync(logFile, "utf8")}`,
      );
    }
    Atomics.wait(pause, 0, 0, 20);
  }
}

process.once("exit", () => {
  for (const child of daemons.values()) child.kill("SIGTERM");
});

/** What one run of `isula` produced. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `./bin/isula args...` as a user would, in `cwd` (default: the sandbox's `work`). */
export function isula(
  box: Sandbox,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  ensureDaemon(box);
  const r = spawnSync(BIN, args, {
    cwd: opts.cwd ?? join(box.dir, "work"),
    env: { ...box.env, ...opts.env },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

interface TarFile {
  name: string;
  data?: Buffer | string;
  type?: "file" | "directory";
}

/** Packs entries into an in-memory tar with tar-stream. */
export async function makeTar(entries: TarFile[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on("end", resolve);
    p.on("error", reject);
  });
  for (const e of entries) {
    if (e.type === "directory") {
      p.entry({ name: e.name, type: "directory", mode: 0o755, mtime: new Date(0) });
    } else {
      p.entry({ name: e.name, mode: 0o644, mtime: new Date(0) }, e.data ?? "");
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A docker-save archive built in the test, with the digests a loader must verify. */
export interface TestArchive {
  file: string;
  /** 64 hex: sha256 of the config bytes. */
  id: string;
  repoTags: string[];
  created: string;
}

/**
 * Writes a docker-archive (`docker save` layout) of one image with two tiny layers to `file`:
 * `manifest.json`, the config `<id>.json` with `rootfs.diff_ids` = sha256 of each layer tar, and
 * `<n>/layer.tar`. `seed` makes images differ (content and so IDs).
 */
export async function writeDockerArchive(
  file: string,
  opts: { repoTags: string[]; seed?: string; created?: string },
): Promise<TestArchive> {
  const seed = opts.seed ?? "one";
  const created = opts.created ?? "2020-01-02T03:04:05.123456789Z";
  const layers = [
    await makeTar([
      { name: "etc/", type: "directory" },
      { name: "etc/hello.txt", data: `hello ${seed}\n` },
    ]),
    await makeTar([{ name: "app.txt", data: `app ${seed}\n` }]),
  ];
  const diffIds = layers.map((l) => `sha256:${sha256(l)}`);
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    created,
    config: { Cmd: ["sh"], Env: ["PATH=/usr/bin:/bin"] },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: [
      { created, created_by: "layer one" },
      { created, created_by: "layer two" },
    ],
  });
  const id = sha256(config);
  const layerPaths = layers.map((l) => `${sha256(l)}/layer.tar`);
  const manifest = JSON.stringify([
    { Config: `${id}.json`, RepoTags: opts.repoTags, Layers: layerPaths },
  ]);

  const archive = await makeTar([
    ...layerPaths.map((p, i) => ({ name: p, data: layers[i] })),
    { name: `${id}.json`, data: config },
    { name: "manifest.json", data: manifest },
  ]);
  writeFileSync(file, archive);
  return { file, id, repoTags: opts.repoTags, created };
}
