// The `isula` entry point (bundled to dist/isula.cjs, started by dist/isula-start.cjs with V8's
// code cache; also dist/isula.mjs): wires the process to `runCli`. Only the parser, the command
// table and the help texts run at start-up; each command's module and the service (SQLite,
// archive code) are evaluated on demand.
import { runCli } from "./run.ts";

function write(stream: NodeJS.WriteStream, text: string): void {
  if (text !== "") stream.write(text);
}

// A reader that goes away (`isula images | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}

/** Waits until everything written to `stream` has been handed to the OS. */
function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write("", () => resolve());
  });
}

/** Runs the command line of this process and exits with its code. */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
    io: { out: (s) => write(process.stdout, s), err: (s) => write(process.stderr, s) },
    env: process.env,
    cwd: process.cwd(),
    openService: async (opts) =>
      (await import("../service/open.ts")).openService({
        ...opts,
        warn: (line) => write(process.stderr, `WARNING: ${line}\n`),
      }),
  });
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  process.exit(code);
}

// No top-level await: the same module is also bundled as CommonJS (dist/isula.cjs).
void main();
