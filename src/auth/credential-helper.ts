import { spawnSync } from "node:child_process";
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
 * means the secret is an identity token). Returns undefined when the helper says it has none
 * ("credentials not found"). A helper that is missing, fails, times out or answers something
 * that is not that JSON: `Unauthenticated`, naming the helper and the server. Messages never
 * quote the helper's stdout (it may hold the secret); a line of its stderr is kept, redacted of
 * anything shaped like a credential.
 *
 * Synchronous: the calling thread waits for the helper, at most `timeoutMs`.
 */
// TODO(#7): the registry client asks for credentials synchronously, so in the daemon every
// request waits while a helper runs; an async credentialsFor would let other pulls go on.
export function runCredentialHelper(
  helper: string,
  server: string,
  opts: HelperOptions = {},
): Credentials | undefined {
  const program = `docker-credential-${helper}`;
  const timeout = opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const doing = `getting credentials for "${server}" from "${program}"`;
  const r = spawnSync(program, ["get"], {
    input: server,
    env: (opts.env ?? process.env) as NodeJS.ProcessEnv,
    timeout,
    killSignal: "SIGKILL",
    maxBuffer: MAX_OUTPUT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const failed = (why: string) => imageError("Unauthenticated", `${doing}: ${why}`, r.error);
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") throw failed("not found on PATH");
  if (code === "ETIMEDOUT") throw failed(`no answer within ${timeout} ms`);
  if (code === "ENOBUFS") throw failed(`answer larger than ${MAX_OUTPUT} bytes`);
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
