import { join } from "node:path";
import { ImageError, imageError } from "../errors.ts";
import { decryptAuth, encryptAuth, newAesKey } from "./credential-cipher.ts";
import { withFileLock } from "./file-lock.ts";
import { ensureSecretDir, readSecretFile, writeSecretFile } from "./secure-file.ts";
import type { Credentials } from "./types.ts";

/** iSulad's limit on the entries of auths.json. */
const MAX_ENTRIES = 65536;

/** Lock file beside auths.json while a change is written (see `withFileLock`). */
const LOCK_NAME = ".auths.lock";

type AuthsFile = { auths: Record<string, { auth?: string; [k: string]: unknown }> };

/**
 * The credential store of iSulad (isulad-behaviour §4): `<dir>/auths.json`, pretty-printed
 * `{"auths": {"<host>": {"auth": "<blob>"}}}`, and `<dir>/aeskey`, both 0600 in a 0700 folder,
 * each written atomically; files written by iSulad are read here and the other way round.
 * Hosts are keys as given: the caller maps `docker.io` to `registry-1.docker.io` first.
 *
 * Methods are synchronous. `save` and `remove` hold an exclusive lock on `.auths.lock` in the
 * folder around their read-modify-write, so concurrent logins and logouts, in one process or
 * several, each keep their change; readers take no lock (the file is replaced atomically).
 * No error message ever contains a credential.
 */
export class AuthStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get authsPath(): string {
    return join(this.dir, "auths.json");
  }

  get keyPath(): string {
    return join(this.dir, "aeskey");
  }

  /**
   * The stored credentials for `host`, or undefined when none are stored (or the file does not
   * exist). A broken file, key or entry: `FailedPrecondition` (`PermissionDenied` for bad modes)
   * with a message starting `Failed to load auths for host <host>`.
   */
  get(host: string): Credentials | undefined {
    try {
      const entry = this.#read()?.auths[host]?.auth;
      if (entry === undefined) return undefined;
      if (typeof entry !== "string") throw imageError("FailedPrecondition", "invalid auth format");
      const key = this.#readKey();
      if (key === undefined) throw imageError("FailedPrecondition", `"${this.keyPath}" is missing`);
      return decryptAuth(entry, key);
    } catch (err) {
      const kind = err instanceof ImageError ? err.kind : "Internal";
      const detail = err instanceof Error ? err.message : String(err);
      throw imageError(kind, `Failed to load auths for host ${host}: ${detail}`, err);
    }
  }

  /** Stores (or replaces) the entry of `host`, creating the folder and `aeskey` if missing. */
  save(host: string, creds: Credentials): void {
    ensureSecretDir(this.dir);
    this.#locked(() => {
      let key = this.#readKey();
      if (key === undefined) {
        key = newAesKey();
        writeSecretFile(this.keyPath, key);
      }
      const file = this.#read() ?? { auths: {} };
      if (!(host in file.auths) && Object.keys(file.auths).length >= MAX_ENTRIES) {
        throw imageError("ResourceExhausted", `auths.json already holds ${MAX_ENTRIES} entries`);
      }
      file.auths[host] = { auth: encryptAuth(creds, key) };
      this.#write(file);
    });
  }

  /** Removes the entry of `host`; nothing stored (or no file) is success. Keeps `aeskey`. */
  remove(host: string): void {
    if (this.#read() === undefined) return;
    this.#locked(() => {
      const file = this.#read();
      if (file === undefined || !(host in file.auths)) return;
      delete file.auths[host];
      this.#write(file);
    });
  }

  /**
   * Runs a read-modify-write of auths.json (and the creation of aeskey) under `.auths.lock` in
   * the folder, so that concurrent logins from several processes each keep their entry, and two
   * first logins never write two different keys.
   */
  #locked(fn: () => void): void {
    withFileLock(join(this.dir, LOCK_NAME), `"${this.authsPath}"`, fn);
  }

  #read(): AuthsFile | undefined {
    const bytes = readSecretFile(this.authsPath);
    if (bytes === undefined) return undefined;
    let doc: unknown;
    try {
      doc = bytes.length === 0 ? {} : JSON.parse(bytes.toString("utf8"));
    } catch (err) {
      throw imageError("FailedPrecondition", `failed to parse file "${this.authsPath}"`, err);
    }
    if (!isObject(doc)) {
      throw imageError("FailedPrecondition", `"${this.authsPath}" must hold a JSON object`);
    }
    const auths = doc.auths ?? {};
    if (!isObject(auths) || !Object.values(auths).every(isObject)) {
      throw imageError("FailedPrecondition", `"auths" in "${this.authsPath}" is malformed`);
    }
    return { auths: auths as AuthsFile["auths"] };
  }

  #readKey(): Buffer | undefined {
    const bytes = readSecretFile(this.keyPath);
    if (bytes === undefined) return undefined;
    // iSulad reads exactly 32 bytes and uses them as they are.
    if (bytes.length < 32) {
      throw imageError("FailedPrecondition", `"${this.keyPath}" is shorter than 32 bytes`);
    }
    return bytes.subarray(0, 32);
  }

  #write(file: AuthsFile): void {
    ensureSecretDir(this.dir);
    writeSecretFile(this.authsPath, Buffer.from(JSON.stringify(file, null, 4)));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
