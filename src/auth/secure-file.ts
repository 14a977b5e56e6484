import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { fsyncDir, removeTree, writeFileDurable } from "../content/durable-fs.ts";
import { hasCode, imageError } from "../errors.ts";

/** Largest credential file we read; iSulad's limit is 65536 entries of a few hundred bytes. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads a secret file of the credential folder, or returns undefined when it does not exist.
 * Refuses (`PermissionDenied`) a file any group or other user may access, a folder they may
 * write to (they could swap the file), and a symlink that leads out of its folder; a symlink
 * within the folder is followed. Not a regular file: `FailedPrecondition`.
 */
export function readSecretFile(path: string): Buffer | undefined {
  checkSecretDir(dirname(path));
  let target = path;
  try {
    if (lstatSync(path).isSymbolicLink()) target = resolveInside(path);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return undefined;
    throw err;
  }
  let fd: number;
  try {
    fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return undefined;
    throw imageError("PermissionDenied", `opening "${path}": ${(err as Error).message}`, err);
  }
  return readOpenFile(fd, path, MAX_BYTES, (st) => {
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      throw imageError(
        "PermissionDenied",
        `refusing to use "${path}": group or others may access it (mode ${mode}); run chmod 600 on it`,
      );
    }
  });
}

/**
 * Reads the regular file open at `fd` (named `path` in errors), at most `maxBytes`, after
 * `check` has seen its stat; always closes `fd`. `FailedPrecondition` for anything but a
 * regular file and for a larger one.
 */
export function readOpenFile(
  fd: number,
  path: string,
  maxBytes: number,
  check?: (st: Stats) => void,
): Buffer {
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw imageError("FailedPrecondition", `"${path}" is not a regular file`);
    check?.(st);
    if (st.size > maxBytes) throw imageError("FailedPrecondition", `"${path}" is too large`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** The real path of a symlinked file, which must lie directly in the link's own folder. */
function resolveInside(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    if (hasCode(err, "ENOENT")) throw err;
    throw imageError("PermissionDenied", `resolving "${path}": ${(err as Error).message}`, err);
  }
  if (dirname(real) !== realpathSync(dirname(path))) {
    throw imageError(
      "PermissionDenied",
      `refusing to use "${path}": it is a symbolic link out of its folder`,
    );
  }
  return real;
}

/**
 * Creates the credential folder (0700) if missing, with its parents. An existing folder keeps
 * its mode, as iSulad's does; it must be a directory.
 */
export function ensureSecretDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkSecretDir(dir);
}

/**
 * Refuses (`PermissionDenied`) a credential folder that group or others may write to, naming it
 * and the fix; a folder that does not exist passes (nothing is read from it). Not a directory:
 * `FailedPrecondition`.
 */
function checkSecretDir(dir: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return;
    throw err;
  }
  if (!st.isDirectory()) throw imageError("FailedPrecondition", `"${dir}" is not a directory`);
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
    throw imageError(
      "PermissionDenied",
      `refusing to use "${dir}": group or others may write to it (mode ${mode}); run chmod 700 on it`,
    );
  }
}

/**
 * Replaces `path` atomically with `data`, mode 0600: a temp file beside it, fsync, rename, fsync
 * of the folder. A reader sees the old file or the new one, never a part. The temp file is
 * removed if anything fails. A symlink at `path` is replaced, never written through.
 */
export function writeSecretFile(path: string, data: Uint8Array): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileDurable(temp, data, 0o600);
    chmodSync(temp, 0o600); // the umask may have removed bits we asked for; never added any
    renameSync(temp, path);
  } catch (err) {
    removeTree(temp);
    throw err;
  }
  fsyncDir(dir);
}
