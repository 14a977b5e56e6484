/**
 * What the registry commands need of the terminal beyond `Output`: whether stdout and stdin are
 * TTYs, the width, reading stdin, prompts without echo, and Ctrl-C. `main` uses the process's;
 * tests pass a fake.
 */
export interface Terminal {
  /** stdout is a terminal that can move the cursor (progress is drawn only then). */
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  /** Current width of stdout in columns. */
  columns(): number;
  /** All of stdin up to EOF, keeping the first `max` characters. */
  readAll(max: number): Promise<string>;
  /** One line of stdin (without its end), at most `max` characters; echo off when asked. */
  readLine(opts: { echo: boolean; max: number }): Promise<string>;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
}

/** The process's terminal: `process.stdin` / `process.stdout`. */
export function processTerminal(): Terminal {
  const stdin = process.stdin;
  const stdout = process.stdout;
  return {
    stdoutIsTTY: stdout.isTTY === true && process.env.TERM !== "dumb",
    stdinIsTTY: stdin.isTTY === true,
    columns: () => stdout.columns ?? 80,
    readAll: (max) => readAll(stdin, max),
    readLine: (opts) => readLine(stdin, opts),
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
  };
}

async function readAll(stdin: NodeJS.ReadStream, max: number): Promise<string> {
  let text = "";
  stdin.setEncoding("utf8");
  for await (const chunk of stdin) {
    if (text.length < max) text += (chunk as string).slice(0, max - text.length);
  }
  return text;
}

/**
 * Reads one line. With echo off the TTY goes into raw mode (Node's `setRawMode`), so the
 * characters are not shown; Enter ends the line, Backspace edits it, Ctrl-C and Ctrl-D end it
 * (Ctrl-C raising SIGINT as a terminal would). Raw mode is always switched off again.
 */
function readLine(stdin: NodeJS.ReadStream, opts: { echo: boolean; max: number }) {
  const raw = !opts.echo && stdin.isTTY === true;
  return new Promise<string>((resolve) => {
    let line = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.off("end", finish);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      resolve(line.slice(0, opts.max));
    };
    const onData = (chunk: string) => {
      for (let i = 0; i < chunk.length; i++) {
        const ch = chunk[i] as string;
        if (ch === "\n" || ch === "\r" || ch === "\u0004") {
          // Typed ahead (the password after the user name): left for the next read.
          const rest = chunk.slice(ch === "\r" && chunk[i + 1] === "\n" ? i + 2 : i + 1);
          finish();
          if (rest !== "") stdin.unshift(rest, "utf8");
          return;
        }
        if (ch === "\u0003") {
          finish();
          process.kill(process.pid, "SIGINT");
          return;
        }
        if (raw && (ch === "\u007f" || ch === "\b")) line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.setEncoding("utf8");
    if (raw) stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.on("end", finish);
    stdin.resume();
  });
}
