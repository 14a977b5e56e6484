import {
  closeSync,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { hasCode } from "../errors.ts";

/** Options of the `file` log driver (`log-opts`). */
export interface LogFileOptions {
  /** Folder of `isulad.log` (`log-path`). */
  dir: string;
  /** Files kept in all, the live one included (`max-file`); 1 means the live file is cut. */
  maxFile: number;
  /** Bytes after which the live file is rotated (`max-size`). */
  maxSize: number;
  /** Mode of new files (`log-file-mode`). */
  mode: number;
}

/**
 * Appends lines to `<dir>/isulad.log`, rotating by size: when a line would take the file past
 * `maxSize`, `isulad.log.<n-1>` becomes `.<n>` (the oldest beyond `maxFile - 1` is overwritten),
 * `isulad.log` becomes `isulad.log.1`, and a new file is opened. Writes are synchronous so that
 * lines are on disk in order even if the process dies next; not for use from several processes.
 */
export class LogFile {
  readonly path: string;
  readonly #opts: LogFileOptions;
  #fd: number;
  #size: number;

  constructor(opts: LogFileOptions) {
    this.#opts = opts;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.path = join(opts.dir, "isulad.log");
    this.#fd = this.#open();
    this.#size = fstatSync(this.#fd).size;
  }

  /** Appends `line` (which ends with a newline), rotating first if it would not fit. */
  write(line: string): void {
    const bytes = Buffer.from(line);
    if (this.#size > 0 && this.#size + bytes.length > this.#opts.maxSize) this.#rotate();
    writeSync(this.#fd, bytes);
    this.#size += bytes.length;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #open(): number {
    const fd = openSync(this.path, "a", this.#opts.mode);
    fchmodSync(fd, this.#opts.mode);
    return fd;
  }

  #rotate(): void {
    closeSync(this.#fd);
    const keep = this.#opts.maxFile - 1;
    for (let n = keep - 1; n >= 1; n--)
      renameIfPresent(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    if (keep >= 1) renameIfPresent(this.path, `${this.path}.1`);
    this.#fd = keep >= 1 ? this.#open() : openSync(this.path, "w", this.#opts.mode);
    this.#size = 0;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if (!hasCode(err, "ENOENT")) throw err;
  }
}
