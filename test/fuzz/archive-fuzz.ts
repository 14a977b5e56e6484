/**
 * The archive-loader fuzz engine: real archives built by the test helpers, mutated (see
 * mutate.ts) and loaded with `loadArchive` in this process against one temp store. A run is a
 * failure when the loader throws anything but a one-line `ImageError`, does not settle within
 * `HANG_MS`, leaves the store changed after refusing the input, or touches anything outside the
 * store (a sentinel folder beside it, and the work folder's entries).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadArchive } from "../../src/archive/load-archive.ts";
import { ImageError } from "../../src/errors.ts";
import type { ImageStore } from "../../src/image/image-store.ts";
import type { Compression } from "../../src/oci/media-types.ts";
import {
  type ArchiveMember,
  type ArchiveShape,
  archiveMembers,
  packMembers,
} from "../helpers/archive-writer.ts";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  compressBytes,
  sampleImage,
} from "../helpers/image-builder.ts";
import { listTree, snapshotStore } from "../helpers/store-snapshot.ts";
import { type Mutant, mutateBytes, mutateJson, type Rng } from "./mutate.ts";

/** A load that has not settled after this long is a hang. */
export const HANG_MS = 15_000;

/** Kinds a refused archive may carry. */
const REFUSAL_KINDS = new Set([
  "InvalidArgument",
  "NotFound",
  "NotImplemented",
  "ResourceExhausted",
]);

/** One seed archive: its members (for JSON mutations) and its plain tar bytes. */
export interface Seed {
  what: string;
  members: ArchiveMember[];
  tar: Buffer;
}

/** Builds the seed corpus: each archive shape, plain and compressed layers, hostile-ish layers. */
export async function buildSeeds(): Promise<Seed[]> {
  const images: BuiltImage[] = [
    await sampleImage("none", "fuzz-plain"),
    await sampleImage("gzip", "fuzz-gzip"),
    buildImage({
      layers: [
        await buildLayer(
          [
            { name: "d/", type: "dir" },
            { name: "d/long-".padEnd(180, "n"), body: "long name" },
            { name: "d/hard", type: "link", linkname: "d/long-".padEnd(180, "n") },
            { name: "d/x", body: "x", xattrs: { "user.k": "v" } },
          ],
          "zstd",
        ),
      ],
    }),
  ];
  const shapes: ArchiveShape[] = ["docker25", "docker-legacy", "skopeo", "oci"];
  const seeds: Seed[] = [];
  for (const [i, image] of images.entries()) {
    const shape = shapes[i % shapes.length] as ArchiveShape;
    for (const s of [shape, shapes[(i + 2) % shapes.length] as ArchiveShape]) {
      const members = archiveMembers([{ image, repoTags: [`fuzz/img${i}:${s}`] }], s);
      seeds.push({ what: `${s} #${i}`, members, tar: await packMembers(members) });
    }
  }
  return seeds;
}

/** Makes one input from the corpus: a byte or a JSON mutation, maybe compressed afterwards. */
export async function makeInput(rng: Rng, seeds: Seed[]): Promise<Mutant> {
  const seed = rng.pick(seeds);
  let m: Mutant;
  if (rng.int(3) === 0) {
    const jsonAt = seed.members
      .map((x, i) => ({ x, i }))
      .filter(({ x }) => x.body !== undefined && x.body.length > 0 && x.body[0] === 0x7b)
      .concat(seed.members.map((x, i) => ({ x, i })).filter(({ x }) => x.name === "manifest.json"));
    const target = rng.pick(jsonAt);
    const members = [...seed.members];
    const doc = mutateJson(rng, JSON.parse(String(target.x.body)));
    members[target.i] = { ...target.x, body: Buffer.from(JSON.stringify(doc)) };
    m = { bytes: await packMembers(members), how: `${seed.what}: JSON of "${target.x.name}"` };
  } else {
    const other = rng.pick(seeds).tar;
    const inner = mutateBytes(rng, seed.tar, other);
    m = { bytes: inner.bytes, how: `${seed.what}: ${inner.how}` };
  }
  const compression = rng.pick<Compression>(["none", "none", "none", "gzip", "zstd"]);
  if (compression === "none") return m;
  return { bytes: compressBytes(m.bytes, compression), how: `${m.how}, ${compression}` };
}

/** Everything outside the store that a load must not touch. */
export interface Surroundings {
  work: string;
  sentinel: string;
}

/** Prepares a sentinel folder beside the store, with a file in it. */
export function prepareSurroundings(work: string): Surroundings {
  const sentinel = join(work, "sentinel");
  mkdirSync(sentinel, { recursive: true });
  writeFileSync(join(sentinel, "keep"), "untouched");
  return { work, sentinel };
}

function outside(s: Surroundings): string {
  return `${readdirSync(s.work).sort().join(",")}|${listTree(s.sentinel).join(",")}`;
}

/** What one execution showed: `ok` with how it ended, or the reason it is a crash. */
export type Verdict = { ok: true; loaded: boolean } | { ok: false; reason: string };

/**
 * Loads `file` into `store` and judges the outcome. `baseline` is the store's snapshot before;
 * the caller re-takes it after a successful load.
 */
export async function judgeLoad(
  store: ImageStore,
  file: string,
  around: Surroundings,
  baseline = snapshotStore(store),
): Promise<Verdict> {
  const before = outside(around);
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), HANG_MS);
  });
  let outcome: unknown;
  try {
    outcome = await Promise.race([loadArchive({ store, file }).then(() => "loaded"), hang]);
  } catch (err) {
    outcome = err;
  } finally {
    clearTimeout(timer);
  }
  if (outcome === "hang") return { ok: false, reason: `no answer after ${HANG_MS} ms` };
  if (outside(around) !== before)
    return { ok: false, reason: "something outside the store changed" };
  if (outcome === "loaded") return { ok: true, loaded: true };
  if (!(outcome instanceof ImageError)) {
    const e = outcome as Error;
    return { ok: false, reason: `not an ImageError: ${e?.stack ?? String(e)}` };
  }
  if (!REFUSAL_KINDS.has(outcome.kind) || /\n/.test(outcome.message))
    return { ok: false, reason: `unexpected ${outcome.kind}: ${outcome.message}` };
  const after = snapshotStore(store);
  if (JSON.stringify(after) !== JSON.stringify(baseline))
    return { ok: false, reason: `store changed after refusing: ${outcome.message}` };
  return { ok: true, loaded: false };
}

/** Saves a crashing input under `dir` as `<sha256 prefix>.tar` with a note; returns its path. */
export function saveFixture(dir: string, m: Mutant, reason: string, seed: number): string {
  mkdirSync(dir, { recursive: true });
  const name = createHash("sha256").update(m.bytes).digest("hex").slice(0, 16);
  const file = join(dir, `${name}.tar`);
  writeFileSync(file, m.bytes);
  writeFileSync(join(dir, `${name}.txt`), `seed ${seed}: ${m.how}\n${reason.split("\n")[0]}\n`);
  return file;
}
