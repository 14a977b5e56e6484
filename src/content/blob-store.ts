import { createReadStream, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Digest, Digester, digestHex, isHex64, sha256Digest } from "../digest/digest.ts";
import { hasCode, imageError } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { writeFileDurable } from "./durable-fs.ts";

/**
 * Content-addressed blobs under `<dir>/<hex>` (manifests, configs, layer blobs as received).
 * A blob enters by being written in full to a temp path in the ingest area, fsync'd, then renamed
 * into place, so a path here always holds complete bytes. The caller holds the store's write
 * lock around {@link BlobStore.commit} and removals (see `image/README.md`); reads need no lock.
 */
export class BlobStore {
  /** `blobs/sha256`. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(d: Digest): string {
    return join(this.dir, digestHex(d));
  }

  has(d: Digest): boolean {
    try {
      return statSync(this.path(d)).isFile();
    } catch (err) {
      if (hasCode(err, "ENOENT")) return false;
      throw err;
    }
  }

  /** The blob's bytes; `NotFound` when it is not stored. Does not re-verify the digest. */
  read(d: Digest): Buffer {
    try {
      return readFileSync(this.path(d));
    } catch (err) {
      if (hasCode(err, "ENOENT")) throw imageError("NotFound", `blob "${d}" not found`, err);
      throw err;
    }
  }

  /** Writes `data` durably to `tempPath` (which must not exist) and returns its digest. */
  writeTemp(tempPath: string, data: Uint8Array): Digest {
    writeFileDurable(tempPath, data);
    return sha256Digest(data);
  }

  /**
   * Renames a complete temp file to the blob path of `d`, unless that blob is already stored;
   * returns whether it moved. Trusts the caller that the bytes hash to `d`. The rename is made
   * durable by fsyncing {@link BlobStore.dir} before the records naming it commit.
   */
  commit(tempPath: string, d: Digest): boolean {
    if (this.has(d)) return false;
    renameSync(tempPath, this.path(d));
    crashPoint("blob.renamed");
    return true;
  }

  /** Hex names of the stored blobs (a directory scan: for cleanup and checks, not hot paths). */
  list(): string[] {
    return readdirSync(this.dir).filter(isHex64);
  }

  /** Re-hashes a stored blob from disk, streaming. */
  async hash(d: Digest): Promise<{ digest: Digest; size: number }> {
    const digester = new Digester();
    for await (const chunk of createReadStream(this.path(d))) digester.update(chunk as Buffer);
    return { digest: digester.digest(), size: digester.size };
  }
}
