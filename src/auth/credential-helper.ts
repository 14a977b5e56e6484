import { spawn } from "node:child_process";
import { imageError } from "../errors.ts";
import type { Credentials } from "./types.ts";

/** How long a credential helper may take by default (ms); keychain prompts are not waited for. */
export const DEFAULT_HELPER_TIMEOUT_MS = 10_000;

/** Largest answer we take from a helper. */
const MAX_OUTPUT = 64 * 1024;

export interface HelperOptions {
  /** Environment of the helper (its PATH is where `docker-credential-<name>` is looked up). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * Asks `docker-credential-<helper> get` for the credentials of `server` (Docker's credential
 * helper protocol: the server on stdin, `{"Username", "Secret"}` on stdout; user `<token>`
 * means the secret is an identity token). Resolves to undefined when the helper says it has none
 * ("credentials not found"). A helper that is missing, fails, times out or answers something
 * that is not that JSON: `Unauthenticated`, naming the helper and the server; when the program
 * is not on PATH the error's `cause` has code `ENOENT`. Messages never quote the helper's stdout
 * (it may hold the secret); a line of its stderr is kept, redacted of anything shaped like a
 * credential.
 *
 * Asynchronous: the helper runs as a child process while the event loop goes on; it is killed
 * (SIGKILL) after `timeoutMs` or when it writes more than 64 KiB. Safe to call concurrently.
 */
export async function runCredentialHelper(
  helper: string,
  server: string,
  opts: HelperOptions = {},
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const timeout = opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const doing = `getting credentials for "${server}" from "${program}"`;
  const r = await runHelper(program, server, {
    env: (opts.env ?? process.env) as NodeJS.ProcessEnv,
    timeout,
  });
  const failed = (why: string) => imageError("Unauthenticated", `${doing}: ${why}`, r.error);
  if (r.error?.code === "ENOENT") throw failed("not found on PATH");
  if (r.timedOut) throw failed(`no answer within ${timeout} ms`);
  if (r.overflow) throw failed(`answer larger than ${MAX_OUTPUT} bytes`);
  if (r.error) throw failed(r.error.message);
  const stdout = r.stdout.toString("utf8").trim();
  if (r.status !== 0) {
    // The protocol's "not found" answer is this text on stdout, with a non-zero exit.
    if (/credentials not found/i.test(stdout)) return undefined;
    const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    const line = firstLine(r.stderr.toString("utf8"));
    throw failed(line ? `${how}: ${line}` : how);
  }
  return parseAnswer(stdout, failed);
}

/** How one run of a helper ended. */
interface HelperRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  error?: NodeJS.ErrnoException;
  timedOut: boolean;
  overflow: boolean;
}

/**
 * Runs `program get` with `input` on stdin, collecting at most MAX_OUTPUT bytes of each output
 * stream. Never rejects: a failure to start is `error`; a timeout or an overlong answer kills
 * the child and is flagged.
 */
function runHelper(
  program: string,
  input: string,
  opts: { env: NodeJS.ProcessEnv; timeout: number },
): Promise<HelperRun> {
  return new Promise((resolve) => {
    const child = spawn(program, ["get"], { env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    const run: HelperRun = {
      status: null,
      signal: null,
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0),
      timedOut: false,
      overflow: false,
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    // A helper that is a script may leave children holding our pipes open after it is killed:
    // drop the pipes too, so that the run ends now rather than when they exit.
    const stop = () => {
      child.kill("SIGKILL");
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => {
      run.timedOut = true;
      stop();
    }, opts.timeout);
    child.stdout.on("data", (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > MAX_OUTPUT) {
        run.overflow = true;
        stop();
      } else out.push(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      errBytes += c.length;
      if (errBytes <= MAX_OUTPUT) err.push(c);
    });
    // A helper that exits without reading stdin makes our write fail with EPIPE: not an error.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
    child.on("error", (e: NodeJS.ErrnoException) => {
      run.error = e;
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      Object.assign(run, {
        status,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
      });
      resolve(run);
    });
  });
}

function parseAnswer(stdout: string, failed: (why: string) => Error): Credentials {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw failed("its answer is not JSON");
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  const { Username: username, Secret: secret } = d;
  if (typeof username !== "string" || typeof secret !== "string" || secret === "") {
    throw failed(`its answer lacks "Username" or "Secret"`);
  }
  return { username, password: secret };
}

/** The first non-empty line of a helper's stderr, bounded and with credential-like words hidden. */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line
    .trim()
    .slice(0, 200)
    .replace(/\b(basic|bearer)\s+\S+/gi, "$1 <redacted>")
    .replace(/((?:secret|password|token)\S*\s*[:=]\s*)\S+/gi, "$1<redacted>");
}
