import { rmSync } from "node:fs";
import { type Digest, Digester } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { Compression } from "../oci/media-types.ts";
import { BlobFile } from "./blob-file.ts";
import { createDecoder, type Decoder, sniffCompression } from "./decompress.ts";
import { currentIdentity, type Identity } from "./extract-metadata.ts";
import { LayerWriter } from "./extract-writer.ts";
import { removeLayerDirectory } from "./remove-layer.ts";
import { TarReader } from "./tar-reader.ts";
import type { AppliedLayer, WhiteoutFormat } from "./types.ts";
import { noteShortLivedBytes } from "./young-garbage.ts";

/** What the main thread sends a worker; `target` and `blobPath` already exist (made by it). */
export interface LayerJob {
  source: { kind: "file"; path: string; start: number; end?: number } | { kind: "stream" };
  target: string;
  whiteoutFormat: WhiteoutFormat;
  blobPath?: string;
  expectedDigest?: Digest;
  expectedDiffId?: Digest;
}

/** Hands out the blob bytes; a buffer may be reused once the next call is made. */
export type NextChunk = () => Buffer | null | Promise<Buffer | null>;

let identity: Identity | undefined;

/**
 * Runs one layer in this thread: hashes and (optionally) stores the blob bytes, decompresses,
 * hashes the tar, extracts it and verifies both digests. `aborted` is polled between chunks.
 * On any failure the layer directory and the blob file are removed before it rejects.
 */
export async function runLayerJob(
  job: LayerJob,
  next: NextChunk,
  aborted: () => boolean,
): Promise<AppliedLayer> {
  identity ??= currentIdentity();
  const writer = new LayerWriter(job.target, job.whiteoutFormat, identity);
  let decoder: Decoder | undefined;
  let blob: BlobFile | undefined;
  try {
    if (job.blobPath !== undefined) blob = new BlobFile(job.blobPath);
    const raw = new Digester();
    const diff = new Digester();
    const reader = new TarReader(writer);
    const sink = (out: Buffer) => {
      // gunzip hands out a fresh buffer per 256 KiB of output, dead once read.
      noteShortLivedBytes(out.length);
      diff.update(out);
      reader.push(out);
    };
    // An uncompressed blob is its own tar: hashing it twice would only cost time.
    const plainSink = (out: Buffer) => reader.push(out);
    let compression: Compression = "none";
    const head: Buffer[] = [];
    for (;;) {
      if (aborted()) throw imageError("Unavailable", "applying layer: aborted");
      const chunk = await next();
      if (chunk !== null && chunk.length === 0) continue;
      if (chunk !== null) {
        raw.update(chunk);
        const flushing = blob?.write(chunk);
        if (flushing) await flushing;
      }
      if (decoder === undefined) {
        // Compression is sniffed from the first 4 bytes, which may span chunks.
        if (chunk !== null) head.push(Buffer.from(chunk));
        const buffered = Buffer.concat(head);
        if (buffered.length < 4 && chunk !== null) continue;
        compression = sniffCompression(buffered);
        decoder = createDecoder(compression, compression === "none" ? plainSink : sink);
        if (buffered.length > 0) await decoder.write(buffered);
      } else if (chunk !== null) {
        await decoder.write(chunk);
      }
      if (chunk === null) break;
    }
    await decoder?.end();
    reader.end();
    const digest = raw.digest();
    const plain = compression === "none";
    const result: AppliedLayer = {
      digest,
      size: raw.size,
      diffId: plain ? digest : diff.digest(),
      diffSize: plain ? raw.size : diff.size,
      compression,
    };
    verify("digest", job.expectedDigest, result.digest);
    verify("diffID", job.expectedDiffId, result.diffId);
    writer.finish();
    await blob?.finish();
    return result;
  } catch (err) {
    writer.close();
    decoder?.destroy();
    await blob?.abandon();
    removeOutputs(job);
    throw err;
  }
}

function verify(what: string, expected: Digest | undefined, got: Digest): void {
  if (expected !== undefined && expected !== got) {
    throw imageError(
      "InvalidArgument",
      `layer ${what} mismatch: expected "${expected}", got "${got}"`,
    );
  }
}

/** Removes the layer directory and the blob file; used on every failure path. */
export function removeOutputs(job: Pick<LayerJob, "target" | "blobPath">): void {
  removeLayerDirectory(job.target);
  if (job.blobPath !== undefined) rmSync(job.blobPath, { force: true });
}
