import { createReadStream } from "node:fs";
import tarStream from "tar-stream";
import { ImageError, imageError } from "../errors.ts";
import type { Lease } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import { createDecoder } from "../layer/decompress.ts";
import { TarReader, type TarVisitor } from "../layer/tar-reader.ts";
import type { AppliedLayer, WhiteoutFormat } from "../layer/types.ts";
import type { Compression } from "../oci/media-types.ts";
import { looksLikeLayer } from "./archive-compression.ts";
import { BufferedView, MAX_JSON_MEMBER } from "./archive-view.ts";
import { cleanMemberName, type MemberKind } from "./member-path.ts";

/** A member that looked like a layer, unpacked as it streamed past (or the error doing so). */
export interface PassedLayer {
  tempDir: string;
  tempBlob: string;
  applied?: AppliedLayer;
  error?: unknown;
}

export interface StreamPassResult {
  view: BufferedView;
  /** By cleaned member name. Their temp paths belong to the lease, which removes unused ones. */
  layers: Map<string, PassedLayer>;
}

/** Bound on everything buffered from one compressed archive (JSON members only). */
const MAX_BUFFERED = 64 << 20;

/**
 * Reads a compressed archive once, front to back: small members that are not layers are kept in
 * memory (bounded), members that look like layers are unpacked into temp paths of `lease` as they
 * pass (their blob bytes kept beside), everything else is skipped. Which layers are needed is
 * only known at the end, from `manifest.json` or `index.json`; a member that fails to unpack
 * records its error, raised only if an image needs it. Throws `InvalidArgument` for a truncated
 * or corrupt archive, `ResourceExhausted` when the JSON members exceed the bound.
 */
export async function passCompressedArchive(opts: {
  file: string;
  compression: Compression;
  lease: Lease;
  whiteoutFormat: WhiteoutFormat;
  signal?: AbortSignal;
}): Promise<StreamPassResult> {
  const view = new BufferedView();
  const layers = new Map<string, PassedLayer>();
  const extract = tarStream.extract();
  const input = createReadStream(opts.file, { highWaterMark: 256 << 10 });
  const feeding = feed(input, opts.compression, extract);
  feeding.catch(() => {}); // observed below; the parser fails with the same error meanwhile
  let buffered = 0;
  try {
    for await (const entry of extract) {
      opts.signal?.throwIfAborted();
      const it = entry[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const name = memberName(entry.header.name);
      const kind = kindOf(entry.header.type);
      if (name === undefined || kind !== "file") {
        if (name !== undefined)
          view.members.set(name, { kind, linkname: entry.header.linkname ?? "" });
        // tar-stream gives a directory no body, but its stream never ends when the header
        // claims a size: draining it would wait forever (a fuzz find).
        if (entry.header.type !== "directory") await drain(it);
        continue;
      }
      const head = await peek(it, 512);
      if (looksLikeLayer(head.bytes)) {
        layers.set(name, await unpackMember(head, it, opts));
        view.members.set(name, { kind, linkname: "" });
      } else if ((entry.header.size ?? 0) <= MAX_JSON_MEMBER) {
        const body = await collect(head, it);
        buffered += body.length;
        if (buffered > MAX_BUFFERED) {
          throw imageError(
            "ResourceExhausted",
            `the archive's metadata is larger than ${MAX_BUFFERED} bytes`,
          );
        }
        view.members.set(name, { kind, linkname: "", body });
      } else {
        view.members.set(name, { kind, linkname: "" });
        await drain(it);
      }
    }
    await feeding;
  } catch (err) {
    input.destroy();
    extract.destroy();
    await feeding.catch(() => {});
    throw translate(err);
  }
  return { view, layers };
}

/**
 * Decompresses the file into the tar parser, up to the archive's end: a `TarReader` (the layer
 * reader, with no visitor) follows the same bytes, so the archive is framed by the rules layers
 * follow. Once its end-of-archive blocks are read the parser is ended; what follows is inflated
 * only to reach the compressed stream's end (its checksum is verified) and is refused past 8 MiB
 * (`MAX_TRAILING` of the reader), so a bomb after the end costs milliseconds. A cut stream is
 * refused as the reader decides (`tar stream is truncated`). Backpressure holds inside one
 * input chunk: the decoder waits whenever the parser's buffer is full.
 */
async function feed(input: AsyncIterable<Buffer>, c: Compression, extract: tarStream.Extract) {
  let drained: (() => void) | undefined;
  const wake = () => drained?.();
  extract.on("drain", wake);
  extract.on("close", wake);
  const framing = new TarReader(IGNORE);
  const write = (bytes: Buffer): void | Promise<void> => {
    if (extract.destroyed) throw imageError("Unavailable", "reading the archive: stopped");
    if (extract.write(bytes)) return;
    return new Promise<void>((resolve) => {
      drained = resolve;
    });
  };
  const decoder = createDecoder(c, (out) => {
    const ended = framing.ended;
    const inside = framing.push(out);
    if (ended) return; // trailing bytes: only counted
    const waiting = inside > 0 ? write(Buffer.from(out.subarray(0, inside))) : undefined;
    if (framing.ended) (extract as NodeJS.WritableStream).end();
    return waiting;
  });
  try {
    for await (const chunk of input) await decoder.write(chunk);
    await decoder.end();
    if (framing.ended) return;
    // Stopped without (all of) its end blocks: the reader says whether that is a cut member.
    const missing = framing.end();
    if (missing > 0) await write(Buffer.alloc(missing));
    (extract as NodeJS.WritableStream).end();
  } catch (err) {
    decoder.destroy();
    extract.destroy(err as Error);
    throw err;
  }
}

/** The framing reader wants no entries: only where the archive ends. */
const IGNORE: TarVisitor = { entry() {}, data() {}, entryEnd() {} };

async function unpackMember(
  head: Peeked,
  it: AsyncIterator<Buffer>,
  opts: { lease: Lease; whiteoutFormat: WhiteoutFormat; signal?: AbortSignal },
): Promise<PassedLayer> {
  const tempDir = opts.lease.tempPath("layer");
  const tempBlob = opts.lease.tempPath("blob");
  try {
    const applied = await applyLayer({
      source: { kind: "stream", stream: replay(head, it) },
      target: tempDir,
      blobPath: tempBlob,
      whiteoutFormat: opts.whiteoutFormat,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await drain(it);
    return { tempDir, tempBlob, applied };
  } catch (err) {
    opts.signal?.throwIfAborted();
    await drain(it);
    return { tempDir, tempBlob, error: err };
  }
}

interface Peeked {
  bytes: Buffer;
  done: boolean;
}

/** Reads chunks until at least `n` bytes (or the end) are in hand. */
async function peek(it: AsyncIterator<Buffer>, n: number): Promise<Peeked> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const r = await it.next();
    if (r.done) return { bytes: Buffer.concat(chunks), done: true };
    chunks.push(r.value);
    length += r.value.length;
  }
  return { bytes: Buffer.concat(chunks), done: false };
}

/**
 * The peeked bytes, then the rest. Pulls with `next()` rather than `for await`, so a consumer
 * that stops early does not close the member stream: the caller drains it, and the archive
 * parser moves on to the next member.
 */
async function* replay(head: Peeked, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.bytes.length > 0) yield head.bytes;
  if (head.done) return;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

async function collect(head: Peeked, it: AsyncIterator<Buffer>): Promise<Buffer> {
  const chunks = [head.bytes];
  if (!head.done) for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

async function drain(it: AsyncIterator<Buffer>): Promise<void> {
  for (let r = await it.next(); !r.done; r = await it.next()) {
    // discard
  }
}

function memberName(raw: string): string | undefined {
  try {
    const name = cleanMemberName(raw);
    return name === "" ? undefined : name;
  } catch {
    return undefined; // outside the archive root: no manifest can name it
  }
}

function kindOf(type: string | null | undefined): MemberKind {
  if (type === "file" || type === "contiguous-file" || type == null) return "file";
  if (type === "symlink") return "symlink";
  if (type === "link") return "hardlink";
  if (type === "directory") return "dir";
  return "other";
}

/** Decompressor and tar parser errors, in the words a user needs. */
function translate(err: unknown): unknown {
  if (err instanceof Error && err.name === "AbortError") return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/unexpected end|premature|truncated/i.test(message)) {
    return imageError("InvalidArgument", "archive is truncated", err);
  }
  if (err instanceof ImageError) return err;
  return imageError("InvalidArgument", `reading the archive: ${message}`, err);
}
