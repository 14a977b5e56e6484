/**
 * Hostile archives (issue #6), table-driven: tar breakouts inside layers, lying tar headers,
 * bombs, and manifests that lie or are far too large, each loaded with `loadArchive` into a
 * store that already holds an image. Each must be refused with one clear line, leave the store
 * exactly as it was and write nothing beside it (a sentinel folder next to the store). The
 * layer-level rules themselves are tabled in src/layer/hostile-layers.test.ts; this table runs
 * them through a whole `isula load`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { loadArchive } from "../../src/archive/load-archive.ts";
import { MAX_JSON_DEPTH } from "../../src/digest/bounded-read.ts";
import { digestHex, sha256Digest } from "../../src/digest/digest.ts";
import { ImageError } from "../../src/errors.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import {
  buildTar,
  header,
  pad,
  paxBody,
  type TarSpec,
} from "../../src/layer/testing/tar-builder.ts";
import { fixChecksum, headerOffsets } from "../fuzz/mutate.ts";
import {
  type ArchiveMember,
  type ArchiveShape,
  archiveMembers,
  packMembers,
  writeArchive,
} from "../helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer, sampleImage } from "../helpers/image-builder.ts";
import { listTree, snapshotStore } from "../helpers/store-snapshot.ts";

const MIB = 1 << 20;
const nest = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

let work: string;
let store: ImageStore;
let plain: BuiltImage;
let n = 0;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "hostile-archives-"));
  mkdirSync(join(work, "sentinel"));
  writeFileSync(join(work, "sentinel", "keep"), "untouched");
  store = ImageStore.open({ graph: join(work, "graph") });
  const seed = await sampleImage("gzip", "hostile-seed");
  const file = join(work, "seed.tar");
  await writeArchive(file, [{ image: seed, repoTags: ["seed:1"] }], { shape: "docker25" });
  await loadArchive({ store, file });
  plain = await sampleImage("none", "hostile-plain");
});

after(() => {
  store?.close();
  rmSync(work, { recursive: true, force: true });
});

/** An archive file of one image whose only layer is `tar` (gzip'd). */
async function layerArchive(tar: Buffer, shape: ArchiveShape = "docker25"): Promise<string> {
  const layer = await buildLayer(tar, "gzip");
  return archive([{ image: buildImage({ layers: [layer] }), repoTags: ["evil:1"] }], shape);
}

async function archive(
  images: { image: BuiltImage; repoTags?: string[] }[],
  shape: ArchiveShape,
  mutate?: (m: ArchiveMember[]) => ArchiveMember[],
  compression: "none" | "gzip" = "none",
): Promise<string> {
  const file = join(work, `case-${n++}.tar`);
  await writeArchive(file, images, { shape, compression, ...(mutate && { mutate }) });
  return file;
}

/** Rewrites the body of the member called `name`. */
const rewrite =
  (name: (s: string) => boolean, body: (old: Buffer) => Buffer | string) => (m: ArchiveMember[]) =>
    m.map((x) => (name(x.name) ? { ...x, body: Buffer.from(body(x.body ?? Buffer.alloc(0))) } : x));

const tar = (entries: TarSpec[]) => buildTar(entries);
const raw = (...parts: Uint8Array[]) => Buffer.concat(parts);

type Case = [what: string, make: () => Promise<string>, message: RegExp];

/** Zeros after `head` in a gzip stream: repeated 8 MiB gzip members, 8 KiB each on disk. */
function zerosAfter(head: Buffer, total: number): Buffer {
  const member = gzipSync(Buffer.alloc(8 * MIB), { level: 9 });
  return raw(gzipSync(head), ...Array(Math.ceil(total / (8 * MIB))).fill(member));
}

/** A plain archive of `plain` as bytes, and where its last member's header lies. */
async function plainArchive(): Promise<{ bytes: Buffer; last: number; size: number }> {
  const members = archiveMembers([{ image: plain, repoTags: ["cut:1"] }], "docker25");
  const bytes = Buffer.from(await packMembers(members));
  const last = headerOffsets(bytes).pop() as number;
  const size = Number.parseInt(bytes.toString("latin1", last + 124, last + 136), 8);
  assert.ok(size % 512 !== 0, "the last member needs padding for these cases");
  return { bytes, last, size };
}

/**
 * The plain archive of `plain` cut at `where(layout)`, written plain or gzip'd. `end` is where
 * the end-of-archive blocks start, `body` where the last member's body ends.
 */
function cutArchive(where: (at: { end: number; body: number }) => number, gzip = false) {
  return async () => {
    const { bytes, last, size } = await plainArchive();
    const cut = bytes.subarray(0, where({ end: bytes.length - 1024, body: last + 512 + size }));
    const file = join(work, `case-${n++}.tar${gzip ? ".gz" : ""}`);
    writeFileSync(file, gzip ? gzipSync(cut) : cut);
    return file;
  };
}

const cases: Case[] = [
  [
    "a layer entry named ../escape",
    () => layerArchive(tar([{ name: "../escape", body: "x" }])),
    /escapes the layer root/,
  ],
  [
    "a layer writing through a symlink to /",
    () =>
      layerArchive(tar([{ name: "l", type: "symlink", linkname: "/" }, { name: "l/tmp/pwned" }])),
    /is below the symlink "l"/,
  ],
  [
    "a layer with a hardlink outside",
    () => layerArchive(tar([{ name: "h", type: "link", linkname: "../../../sentinel/keep" }])),
    /escapes the layer root/,
  ],
  [
    "a layer with a symlink loop used as a parent",
    () =>
      layerArchive(
        tar([
          { name: "a", type: "symlink", linkname: "b" },
          { name: "b", type: "symlink", linkname: "a" },
          { name: "a/x" },
        ]),
      ),
    /below the symlink "a"/,
  ],
  [
    "a layer entry with a 64 KiB name",
    () => layerArchive(tar([{ name: "n".repeat(65536), longNames: "gnu" }])),
    /too long/,
  ],
  [
    "a layer header with a negative base-256 size",
    () => layerArchive(raw(header({ name: "a", typeflag: "0", size: -1 }), Buffer.alloc(1024))),
    /size is negative/,
  ],
  [
    "a layer header with a huge octal size and no body",
    () =>
      layerArchive(
        raw(header({ name: "a", typeflag: "0", size: 0o77777777777 }), Buffer.alloc(1024)),
      ),
    /truncated/,
  ],
  [
    "a layer header with a base-256 size of 2^62",
    () =>
      layerArchive(raw(header({ name: "a", typeflag: "0", size: 2n ** 62n }), Buffer.alloc(1024))),
    /size is too large/,
  ],
  [
    "a PAX record lying about its length",
    () => {
      const body = Buffer.from("99 path=short\n");
      return layerArchive(
        raw(
          header({ name: "p", typeflag: "x", size: body.length }),
          ...pad(body),
          tar([{ name: "a" }]),
        ),
      );
    },
    /invalid PAX record/,
  ],
  [
    "a run of PAX headers of 1 MiB each with distinct keys",
    () => {
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) {
        const body = paxBody([[`SCHILY.xattr.user.k${i}`, "v".repeat(MIB - 64)]]);
        blocks.push(header({ name: "p", typeflag: "x", size: body.length }), ...pad(body));
      }
      return layerArchive(raw(...blocks, tar([{ name: "a" }])));
    },
    /extended header at offset \d+ is too large/,
  ],
  [
    "a gzip bomb: 64 MiB of zeros after the end of the layer",
    async () => {
      // Repeated gzip members of zeros: 64 MiB of output for 64 KiB, without deflating 64 MiB.
      const zeros = gzipSync(Buffer.alloc(8 * MIB), { level: 9 });
      const blob = raw(gzipSync(tar([{ name: "a", body: "x" }])), ...Array(8).fill(zeros));
      const layer = { ...(await buildLayer(tar([]), "gzip")), blob, digest: sha256Digest(blob) };
      return archive(
        [{ image: buildImage({ layers: [layer] }), repoTags: ["evil:1"] }],
        "docker25",
      );
    },
    /more than 8388608 bytes after its end/,
  ],
  [
    "a gzip'd archive followed by 1 GiB of zeros",
    async () => {
      const file = join(work, `case-${n++}.tar.gz`);
      writeFileSync(file, zerosAfter((await plainArchive()).bytes, 1 << 30));
      return file;
    },
    /more than 8388608 bytes after its end/,
  ],
  ["an archive cut inside its last member's data", cutArchive((at) => at.body - 10), /truncated/],
  [
    "a gzip'd archive cut inside its last member's data",
    cutArchive((at) => at.body - 10, true),
    /archive is truncated/,
  ],
  ["an archive cut inside its last member's padding", cutArchive((at) => at.body + 1), /truncated/],
  [
    "a gzip'd archive cut inside its last member's padding",
    cutArchive((at) => at.body + 1, true),
    /archive is truncated/,
  ],
  [
    "an archive cut inside a header",
    cutArchive((at) => at.end - 512 * Math.ceil((at.end - at.body) / 512) - 200),
    /truncated/,
  ],
  [
    "a layer cut inside its padding",
    () => layerArchive(tar([{ name: "a", body: "x".repeat(600) }]).subarray(0, 512 + 1000)),
    /truncated/,
  ],
  [
    "a layer member whose header turns it into a directory with a size (gzip archive)",
    async () => {
      // A fuzz find: tar-stream never ends the body of such a directory, the load hung.
      const members = archiveMembers([{ image: plain, repoTags: ["evil:1"] }], "docker-legacy");
      const bytes = Buffer.from(await packMembers(members));
      const at = headerOffsets(bytes).find((off) =>
        bytes
          .toString("latin1", off, off + 100)
          .replace(/\0+$/, "")
          .endsWith("/layer.tar"),
      );
      if (at === undefined) throw new Error("no layer.tar header");
      bytes.write("5", at + 156, "latin1");
      fixChecksum(bytes, at);
      const file = join(work, `case-${n++}.tar.gz`);
      writeFileSync(file, gzipSync(bytes));
      return file;
    },
    /is missing from the archive|reading the archive: Invalid tar header/,
  ],
  [
    "a manifest.json listing 5000 layers",
    () =>
      archive(
        [{ image: plain, repoTags: ["evil:1"] }],
        "skopeo",
        rewrite(
          (s) => s === "manifest.json",
          (old) => {
            const doc = JSON.parse(String(old));
            doc[0].Layers = Array.from({ length: 5000 }, () => doc[0].Layers[0]);
            return JSON.stringify(doc);
          },
        ),
      ),
    /has 5000 layers, more than the 125 an image may have/,
  ],
  [
    "a manifest.json listing 5000 images",
    () =>
      archive(
        [{ image: plain, repoTags: ["evil:1"] }],
        "skopeo",
        rewrite(
          (s) => s === "manifest.json",
          (old) => {
            const doc = JSON.parse(String(old));
            return JSON.stringify(Array.from({ length: 5000 }, () => doc[0]));
          },
        ),
      ),
    /lists 5000 images, more than 1000/,
  ],
  [
    "an index.json listing 20 000 manifests",
    () =>
      archive(
        [{ image: plain, repoTags: ["evil:1"] }],
        "oci",
        rewrite(
          (s) => s === "index.json",
          (old) => {
            const doc = JSON.parse(String(old));
            doc.manifests = Array.from({ length: 20_000 }, () => doc.manifests[0]);
            return JSON.stringify(doc);
          },
        ),
      ),
    /lists 20000 manifests, more than 1000/,
  ],
  [
    "an index.json entry that is not a descriptor",
    () =>
      archive(
        [{ image: plain, repoTags: ["evil:1"] }],
        "oci",
        rewrite(
          (s) => s === "index.json",
          (old) => {
            const doc = JSON.parse(String(old));
            doc.manifests = [null];
            return JSON.stringify(doc);
          },
        ),
      ),
    /entry 0 of index.json is not a descriptor object/,
  ],
  [
    "an index.json descriptor whose size lies",
    () =>
      archive(
        [{ image: plain }],
        "oci",
        rewrite(
          (s) => s === "index.json",
          (old) => {
            const doc = JSON.parse(String(old));
            doc.manifests[0].size += 1;
            return JSON.stringify(doc);
          },
        ),
      ),
    /does not match its digest/,
  ],
  [
    "a manifest.json nested 1 000 000 levels deep",
    () =>
      archive(
        [{ image: plain }],
        "skopeo",
        rewrite(
          (s) => s === "manifest.json",
          () => nest(1_000_000),
        ),
      ),
    new RegExp(`"manifest.json" nests deeper than ${MAX_JSON_DEPTH} levels`),
  ],
  [
    "an index.json nested 100 000 levels deep",
    () =>
      archive(
        [{ image: plain }],
        "oci",
        rewrite(
          (s) => s === "index.json",
          () => `{"manifests":${nest(100_000)}}`,
        ),
      ),
    new RegExp(`"index.json" nests deeper than ${MAX_JSON_DEPTH} levels`),
  ],
  [
    "a config nested 5000 levels deep (it would crash inspect later)",
    async () => {
      const config = Buffer.from(`${String(plain.config).slice(0, -1)},"deep":${nest(5000)}}`);
      const configDigest = sha256Digest(config);
      const img = { ...plain, config, configDigest, id: digestHex(configDigest) };
      return archive([{ image: img, repoTags: ["evil:1"] }], "docker-legacy");
    },
    new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
  ],
  [
    "a manifest.json of 17 MiB",
    () =>
      archive(
        [{ image: plain }],
        "skopeo",
        rewrite(
          (s) => s === "manifest.json",
          () => " ".repeat(17 * MIB),
        ),
      ),
    /"manifest.json" in the archive is not a JSON document or is too large/,
  ],
  [
    "a manifest whose layer media type we do not support",
    () =>
      archive([{ image: plain, repoTags: ["evil:1"] }], "oci", (m) => {
        const manifestMember = m.find((x) => /"layers":\[/.test(String(x.body ?? "")));
        if (!manifestMember?.body) throw new Error("no manifest member");
        const doc = JSON.parse(String(manifestMember.body));
        for (const l of doc.layers) l.mediaType = "application/x-evil";
        const body = Buffer.from(JSON.stringify(doc));
        const hex = createHash("sha256").update(body).digest("hex");
        const oldHex = manifestMember.name.split("/").pop() as string;
        return m.map((x) => {
          if (x === manifestMember) return { ...x, name: `blobs/sha256/${hex}`, body };
          if (x.name !== "index.json") return x;
          const idx = JSON.parse(String(x.body));
          for (const d of idx.manifests)
            if (d.digest === `sha256:${oldHex}`)
              Object.assign(d, { digest: `sha256:${hex}`, size: body.length });
          return { ...x, body: Buffer.from(JSON.stringify(idx)) };
        });
      }),
    /unsupported layer media type "application\/x-evil"/,
  ],
];

describe("load refuses hostile archives", () => {
  for (const [what, make, message] of cases) {
    test(`refuses ${what}`, async () => {
      const file = await make();
      const before = snapshotStore(store);
      const beside = listTree(join(work, "sentinel"));
      const entries = readdirSync(work).sort();
      const err = await loadArchive({ store, file }).then(
        () => assert.fail("the load should have failed"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ImageError, String((err as Error)?.stack ?? err));
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\p{Cc}/u);
      assert.deepEqual(snapshotStore(store), before);
      assert.deepEqual(listTree(join(work, "sentinel")), beside);
      assert.deepEqual(readdirSync(work).sort(), entries);
      rmSync(file);
    });
  }

  test("an absolute layer entry name is confined to the layer, not refused (as GNU tar does)", async () => {
    const file = await layerArchive(tar([{ name: "/abs-escape.txt", body: "x" }]));
    const beside = listTree(join(work, "sentinel"));
    const { images } = await loadArchive({ store, file });
    const record = store.getImage(images[0]?.id as string);
    assert.ok(record);
    const [layer] = store.imageLayers(record);
    assert.deepEqual(readdirSync(store.layerDir(layer?.id as string)), ["abs-escape.txt"]);
    assert.deepEqual(listTree(join(work, "sentinel")), beside);
    assert.equal(readdirSync("/").includes("abs-escape.txt"), false);
    store.deleteImage(record.id);
  });
});

/** Loads `file`, checks the image arrived whole, and removes it again. */
async function loadsAndRemove(file: string) {
  const { images } = await loadArchive({ store, file });
  assert.equal(images.length, 1);
  const record = store.getImage(images[0]?.id as string);
  assert.ok(record);
  assert.equal(store.imageLayers(record).length, plain.layers.length);
  store.deleteImage(record.id);
  rmSync(file);
}

describe("load accepts an archive cut where GNU tar accepts it", () => {
  const accepted: Array<[string, (at: { end: number; body: number }) => number]> = [
    ["without its end-of-archive blocks", (at) => at.end],
    ["ending right after its last body, unpadded (as umoci writes layers)", (at) => at.body],
    ["with one of the two zero blocks", (at) => at.end + 512],
    ["cut inside the first zero block", (at) => at.end + 300],
    ["cut inside the second zero block", (at) => at.end + 812],
  ];
  for (const [what, where] of accepted) {
    for (const gzip of [false, true]) {
      test(`loads a${gzip ? " gzip'd" : "n"} archive ${what}`, async () => {
        await loadsAndRemove(await cutArchive(where, gzip)());
      });
    }
  }

  test("loads a layer cut inside its second zero block", async () => {
    const file = await layerArchive(tar([{ name: "a", body: "x" }]).subarray(0, 1024 + 800));
    const { images } = await loadArchive({ store, file });
    store.deleteImage(images[0]?.id as string);
  });

  test("ignores up to 8 MiB of zeros or garbage after the end of a gzip'd archive", async () => {
    const { bytes } = await plainArchive();
    const garbage = Buffer.alloc(MIB, "garbage ");
    for (const tail of [Buffer.alloc(8 * MIB - 1024), garbage]) {
      const file = join(work, `case-${n++}.tar.gz`);
      writeFileSync(file, gzipSync(raw(bytes, tail)));
      await loadsAndRemove(file);
    }
  });

  test("refuses a gzip'd archive followed by 1 GiB of zeros within seconds", async () => {
    const file = join(work, `case-${n++}.tar.gz`);
    writeFileSync(file, zerosAfter((await plainArchive()).bytes, 1 << 30));
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    await assert.rejects(loadArchive({ store, file }), /more than 8388608 bytes after its end/);
    const ms = performance.now() - started;
    console.log(`1 GiB of zeros after the end: refused in ${Math.round(ms)} ms`);
    assert.ok(ms < 5000, `took ${ms} ms: the zeros were inflated`);
    assert.ok(process.memoryUsage().rss - rss < 128 * MIB, "memory grew by more than 128 MiB");
    rmSync(file);
  });
});

export const HOSTILE_ARCHIVE_CASES = cases.length;
