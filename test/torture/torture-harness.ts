import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ImageStore } from "../../src/image/image-store.ts";
import { CRASH_AT_ENV, CRASH_TRACE_ENV } from "../../src/testing/crash-point.ts";
import { type ProcessResult, runProcess } from "../helpers/run-process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ISULA = join(ROOT, "bin", "isula");
const ISULAD = join(ROOT, "bin", "isulad");

/** Fails early with a clear sentence when the bundle has not been built. */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "isula.mjs"))) {
    throw new Error("dist/isula.mjs is missing: run `npm run build` before the torture tests");
  }
  // Direct mode is chosen when nothing answers on the default socket; a daemon there would
  // serve every "direct" run of these tests.
  if (process.getuid?.() === 0 && existsSync("/var/run/isulad.sock")) {
    throw new Error(
      "a daemon socket exists at /var/run/isulad.sock: stop it before the torture tests",
    );
  }
}

/** A private installation for one scenario: daemon.json, graph, state and HOME in `dir`. */
export interface Sandbox {
  dir: string;
  graph: string;
  env: NodeJS.ProcessEnv;
  /** The socket a daemon of this sandbox listens on (never the default one). */
  daemonHost: string;
}

/**
 * Creates a sandbox under `parent/name`, copying the store of `from` when given (no process may
 * be using it). `config` is merged into daemon.json. Nothing of the user's ISULAD_*, XDG_* or
 * HOME leaks in, so no run touches /var/lib/isulad.
 */
export function newSandbox(
  parent: string,
  name: string,
  opts: { from?: Sandbox; config?: Record<string, unknown> } = {},
): Sandbox {
  assertBuilt();
  const dir = join(parent, name);
  const graph = join(dir, "graph");
  for (const sub of ["graph", "state", "home", "work"])
    mkdirSync(join(dir, sub), { recursive: true });
  if (opts.from) cpSync(opts.from.graph, graph, { recursive: true });
  const config = join(dir, "daemon.json");
  const state = join(dir, "state");
  writeFileSync(config, JSON.stringify({ graph, state, ...opts.config }));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(ISULAD_|XDG_)/.test(k) && k !== "HOME") env[k] = v;
  }
  Object.assign(env, { ISULAD_CONFIG: config, HOME: join(dir, "home"), TZ: "UTC" });
  return { dir, graph, env, daemonHost: `unix://${join(dir, "state", "torture.sock")}` };
}

/** Runs `./bin/isula args...` in the sandbox (direct mode unless `-H` is given). */
export function isula(
  box: Sandbox,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return runProcess(ISULA, args, {
    cwd: join(box.dir, "work"),
    env: { ...box.env, ...opts.env },
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}

/** The environment that kills a process at `point` (`name:nth`). */
export function crashEnv(point: string): NodeJS.ProcessEnv {
  return { [CRASH_AT_ENV]: point };
}

/** Runs `isula args` once with tracing on and returns the kill points it passed, in order. */
export async function tracePoints(box: Sandbox, args: string[]): Promise<string[]> {
  const file = join(box.dir, `trace-${Date.now()}`);
  const r = await isula(box, args, { env: { [CRASH_TRACE_ENV]: file } });
  if (r.code !== 0) throw new Error(`tracing "isula ${args.join(" ")}" failed: ${r.stderr}`);
  return readTrace(file);
}

/** The points a traced process wrote to `file`, in order (empty if none). */
export function readTrace(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

/**
 * The kill points to try for a trace: `name:1` for each point, and `name:<last>` for a point
 * passed more than once (the last layer, the last trash entry). `skip` drops names by prefix.
 */
export function killPlan(trace: string[], skip: string[] = []): string[] {
  const counts = new Map<string, number>();
  for (const name of trace) counts.set(name, (counts.get(name) ?? 0) + 1);
  const plan: string[] = [];
  for (const [name, count] of counts) {
    if (skip.some((s) => name.startsWith(s))) continue;
    plan.push(`${name}:1`);
    if (count > 1) plan.push(`${name}:${count}`);
  }
  return plan;
}

/**
 * The store's names and images as sorted lines `name id` (`<none> id` for an image without
 * names), read without changing anything: two stores with equal lines hold the same images.
 */
export function storeState(graph: string): string {
  const store = ImageStore.openReadOnly({ graph });
  try {
    const lines: string[] = [];
    for (const image of store.listImages()) {
      if (image.names.length === 0) lines.push(`<none> ${image.id}`);
      for (const name of image.names) lines.push(`${name} ${image.id}`);
    }
    return lines.sort().join("\n");
  } finally {
    store.close();
  }
}

/** A daemon (`bin/isulad`) of a sandbox, listening on its `daemonHost`. */
export interface SandboxDaemon {
  child: ChildProcess;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
  /** SIGTERM (a clean shutdown) and wait. */
  stop(): Promise<void>;
}

/** Starts `bin/isulad -H <daemonHost>` and waits until it accepts connections (20 s at most). */
export async function startDaemon(
  box: Sandbox,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<SandboxDaemon> {
  const child = spawn(process.execPath, [ISULAD, "-H", box.daemonHost, "--log-level", "INFO"], {
    cwd: join(box.dir, "work"),
    env: { ...box.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (c) => {
    log += c;
  });
  child.stderr?.on("data", (c) => {
    log += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const socket = box.daemonHost.slice("unix://".length);
  const deadline = Date.now() + 20_000;
  // A daemon killed earlier leaves its socket file: wait for an answer, not for the file.
  while (!(await answers(socket))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`isulad did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    child,
    exited,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** True when something accepts a connection on the unix socket `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/** A reproducible pseudo-random source (mulberry32) for seeded kill times and workloads. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items`, at most `limit` at once; resolves when all have settled. */
export async function runPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
