import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A `node --import tsx` child running one of this folder's `child-*.ts` scripts. */
export interface Child {
  proc: ChildProcess;
  /** Resolves with the child's next stdout line. */
  nextLine(): Promise<string>;
  send(line: string): void;
  /** Resolves when the child exits with 0; rejects with its stderr otherwise. */
  exited(): Promise<void>;
}

export function spawnChild(script: string, args: string[]): Child {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const proc = spawn(process.execPath, ["--import", "tsx", path, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const lines: Interface = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const iter = lines[Symbol.asyncIterator]();
  const exit = once(proc, "exit"); // listen now: the child may exit before anyone awaits it
  return {
    proc,
    async nextLine() {
      const r = await iter.next();
      if (r.done) throw new Error(`child ${script} ended early: ${stderr}`);
      return r.value;
    },
    send(line) {
      proc.stdin?.write(`${line}\n`);
    },
    async exited() {
      const [code] = await exit;
      if (code !== 0) throw new Error(`child ${script} exited ${code}: ${stderr}`);
    },
  };
}
