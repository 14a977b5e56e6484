/**
 * Property-based tests of the tar header reader (issue #6): generated entries round-trip
 * through our tar builder (PAX and GNU long names, base-256 numbers) and through tar-stream's
 * writer; arbitrary bytes never crash the reader with anything but an `ImageError`; the checksum
 * rules hold for every header.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import tarStream from "tar-stream";
import { ImageError } from "../errors.ts";
import { decodeHeader } from "./tar-header.ts";
import { parsePaxRecords } from "./tar-pax.ts";
import { type TarEntry, TarReader } from "./tar-reader.ts";
import { buildTar, header, type TarSpec } from "./testing/tar-builder.ts";

const RUNS = { numRuns: 300 };

interface Read {
  entry: TarEntry;
  body: Buffer;
}

/** Reads a whole tar fed in chunks of `step` bytes; throws what the reader throws. */
function readTar(tar: Uint8Array, step: number): Read[] {
  const out: Read[] = [];
  let body: Buffer[] = [];
  const reader = new TarReader({
    entry: (entry) => {
      out.push({ entry, body: Buffer.alloc(0) });
      body = [];
    },
    data: (chunk) => body.push(Buffer.from(chunk)),
    entryEnd: () => {
      (out.at(-1) as Read).body = Buffer.concat(body);
    },
  });
  const buf = Buffer.from(tar);
  for (let i = 0; i < buf.length; i += step) reader.push(buf.subarray(i, i + step));
  reader.end();
  return out;
}

/** Only `ImageError` may escape; anything else fails the property. */
function onlyImageErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    assert.doesNotMatch(err.message, /\n/);
  }
}

const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).filter((s) => s !== "." && s !== "..");
const entryName = fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join("/"));
const body = fc.uint8Array({ maxLength: 1500 });

/** A regular file, directory or symlink with every numeric field in its full range. */
const spec: fc.Arbitrary<TarSpec> = fc.record({
  name: entryName,
  type: fc.constantFrom("file" as const, "dir" as const, "symlink" as const),
  body,
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0, max: 2 ** 31 })),
  gid: fc.integer({ min: 0, max: 2 ** 31 }),
  mtime: fc.oneof(fc.integer({ min: 0, max: 2 ** 33 - 1 }), fc.integer({ min: 0, max: 2 ** 40 })),
  linkname: entryName,
  longNames: fc.constantFrom("pax" as const, "gnu" as const),
});

/** What the reader must report for a spec (a directory gets its slash, only files a body). */
function expected(s: TarSpec) {
  const type = s.type ?? "file";
  return {
    type,
    name: type === "dir" ? `${s.name}/` : s.name,
    linkname: type === "symlink" ? (s.linkname ?? "") : "",
    size: type === "file" ? (s.body?.length ?? 0) : 0,
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    mtime: s.mtime,
    body: type === "file" ? Buffer.from(s.body ?? "") : Buffer.alloc(0),
  };
}

function actual(r: Read) {
  const e = r.entry;
  return {
    type: e.type,
    name: e.name,
    linkname: e.linkname,
    size: e.size,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: e.mtime,
    body: r.body,
  };
}

function normalise(s: TarSpec): TarSpec {
  const type = s.type ?? "file";
  return {
    ...s,
    name: type === "dir" ? `${s.name}/` : s.name,
    body: type === "file" ? (s.body ?? "") : "",
    linkname: type === "symlink" ? s.linkname : "",
  };
}

describe("the tar reader, property-based", () => {
  it("reads back every entry the tar builder writes (PAX, GNU long names, base-256)", () => {
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 2048 }),
        (specs, step) => {
          const tar = buildTar(specs.map(normalise));
          assert.deepEqual(readTar(tar, step).map(actual), specs.map(expected));
        },
      ),
      RUNS,
    );
  });

  it("reads back every entry tar-stream's writer writes", async () => {
    // tar-stream writes 0644/0755 for a mode of 0, clamps ids to 6 octal digits and times to
    // 11: it is compared on what it can write.
    const streamSpec = spec.chain((s) =>
      fc
        .record({
          mode: fc.integer({ min: 1, max: 0o7777 }),
          uid: fc.integer({ min: 0, max: 0o777777 }),
          gid: fc.integer({ min: 0, max: 0o777777 }),
          mtime: fc.integer({ min: 0, max: 2 ** 33 - 1 }),
        })
        .map((n) => ({ ...s, ...n })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(streamSpec, { minLength: 1, maxLength: 5 }), async (specs) => {
        const tar = await packWithTarStream(specs);
        assert.deepEqual(readTar(tar, 777).map(actual), specs.map(expected));
      }),
      { numRuns: 100 },
    );
  });

  it("never throws anything but an ImageError on arbitrary 512-byte blocks", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), (block) => {
        onlyImageErrors(() => decodeHeader(Buffer.from(block), 0, 0));
        onlyImageErrors(() => readTar(block, 512));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws anything but an ImageError on headers with a valid checksum", () => {
    // Random bytes rarely pass the checksum; fixing it sends them on to the field parsers.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 512, maxLength: 512 }),
        fc.uint8Array({ maxLength: 2048 }),
        (block, rest) => {
          const b = Buffer.from(block);
          writeChecksum(b);
          onlyImageErrors(() => readTar(Buffer.concat([b, rest]), 300));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never throws anything but an ImageError on arbitrary PAX records", () => {
    const key = fc.oneof(
      fc.constantFrom("path", "linkpath", "size", "uid", "gid", "mtime", "atime", "GNU.sparse.x"),
      fc.string().map((s) => `SCHILY.xattr.${s}`),
      fc.string().map((s) => `LIBARCHIVE.xattr.${s}`),
      fc.string(),
    );
    const record = fc.tuple(key, fc.oneof(fc.string(), fc.uint8Array({ maxLength: 40 })));
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 5 }),
        fc.uint8Array({ maxLength: 64 }),
        (rs, junk) => {
          const pax = Object.fromEntries(rs.map(([k, v]) => [k, v]));
          onlyImageErrors(() => readTar(buildTar([{ name: "f", body: "x", pax }]), 512));
          onlyImageErrors(() => parsePaxRecords(Buffer.from(junk), 0));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("accepts a header only when its checksum is the unsigned or signed sum", () => {
    fc.assert(
      fc.property(
        entryName,
        fc.integer({ min: 0, max: 511 }),
        fc.integer({ min: 1, max: 255 }),
        (name, at, delta) => {
          const h = header({ name, typeflag: "0", size: 0 });
          assert.doesNotThrow(() => decodeHeader(h, 0, 0));
          if (at >= 148 && at < 156) return; // the checksum field itself counts as spaces
          const broken = Buffer.from(h);
          broken[at] = ((broken[at] as number) + delta) & 0xff;
          assert.throws(
            () => decodeHeader(broken, 0, 0),
            /invalid tar header checksum|invalid tar header/,
          );
        },
      ),
      RUNS,
    );
  });

  it("accepts the signed checksum old tars wrote for bytes above 127", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 12 }), (high) => {
        const h = header({ name: "x", typeflag: "0" });
        Buffer.from(high.map((b) => b | 0x80)).copy(h, 0);
        h.fill(0x20, 148, 156);
        let signed = 0;
        for (const b of h) signed += b > 127 ? b - 256 : b;
        h.write(`${signed.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "latin1");
        assert.doesNotThrow(() => decodeHeader(h, 0, 0));
      }),
      RUNS,
    );
  });
});

/** Writes the unsigned checksum of a 512-byte header in place. */
function writeChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "latin1");
}

async function packWithTarStream(specs: TarSpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const s of specs) {
    const type = s.type === "dir" ? "directory" : s.type === "symlink" ? "symlink" : "file";
    const data = type === "file" ? Buffer.from(s.body ?? "") : undefined;
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        {
          name: type === "directory" ? `${s.name}/` : s.name,
          type,
          mode: s.mode,
          uid: s.uid,
          gid: s.gid,
          mtime: new Date((s.mtime ?? 0) * 1000),
          ...(type === "symlink" ? { linkname: s.linkname } : {}),
          ...(data ? { size: data.length } : {}),
        },
        data ?? "",
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
