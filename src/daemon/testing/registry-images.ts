// Test helpers for the daemon's pull tests: random images pushed to the registry harness, the
// registry's access log read back per blob, and the store's folders listed as they are on disk.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuiltImage, buildImage, buildLayer } from "../../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../../test/helpers/oci-layout-writer.ts";
import type { RegistryHarness } from "../../../test/helpers/registry-harness.ts";
import type { Digest } from "../../digest/digest.ts";
import { hasCode } from "../../errors.ts";

/**
 * An image of `layers` gzip layers, each a single file of `layerBytes` random bytes, so its blob
 * barely compresses and a transfer takes as long as its size says. Gzip, because skopeo would
 * compress an uncompressed layer on push and so change its digest. `seed` labels the image.
 */
export async function randomImage(opts: {
  layers: number;
  layerBytes: number;
  seed?: string;
}): Promise<BuiltImage> {
  const layers = [];
  for (let i = 0; i < opts.layers; i++) {
    const body = randomBytes(opts.layerBytes);
    const entries = [
      { name: "data/", type: "dir" as const },
      { name: `data/layer-${i}.bin`, body },
    ];
    layers.push(await buildLayer(entries, "gzip"));
  }
  return buildImage({ layers, labels: { seed: opts.seed ?? "random" } });
}

/** Pushes `image` to `reg` as `<repo>:<tag>` (an OCI layout in a temp folder, then skopeo). */
export async function pushImage(
  reg: RegistryHarness,
  image: BuiltImage,
  ref: { repo: string; tag: string },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "isulad-layout-"));
  try {
    await writeOciLayout(dir, [{ tag: ref.tag, image }]);
    await reg.push(dir, ref.tag, `${ref.repo}:${ref.tag}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How many times the registry answered `GET /v2/<repo>/blobs/<digest>` with 200, per digest,
 * counted from the access-log lines of `log` (`"GET <path> HTTP/1.1" 200 <bytes>`).
 */
export function blobGets(log: string, repo: string): Map<Digest, number> {
  const counts = new Map<Digest, number>();
  const escaped = repo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const line = new RegExp(
    `"GET /v2/${escaped}/blobs/(sha256:[0-9a-f]{64}) HTTP/[0-9.]+" 200 `,
    "g",
  );
  for (const m of log.matchAll(line)) {
    const d = m[1] as Digest;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return counts;
}

/** The entries of each folder of `<graph>/storage` a crash can leave things in, sorted. */
export function storageEntries(graph: string): {
  ingest: string[];
  trash: string[];
  overlay: string[];
  blobs: string[];
} {
  const list = (...path: string[]) => readdirSync(join(graph, "storage", ...path)).sort();
  return {
    ingest: list("ingest"),
    trash: list("trash"),
    overlay: list("overlay"),
    blobs: list("blobs", "sha256"),
  };
}

/** Sizes of the temp blob files (`*-blob`) in `<graph>/storage/ingest` right now. */
export function ingestBlobSizes(graph: string): number[] {
  const dir = join(graph, "storage", "ingest");
  const sizes: number[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return [];
    throw err;
  }
  for (const name of names.filter((n) => n.endsWith("-blob"))) {
    try {
      sizes.push(statSync(join(dir, name)).size);
    } catch (err) {
      // Gone between readdir and stat: committed or cleaned up meanwhile.
      if (!hasCode(err, "ENOENT")) throw err;
    }
  }
  return sizes;
}
