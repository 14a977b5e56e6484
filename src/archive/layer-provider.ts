import type { Digest } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import type { Lease } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { AppliedLayer, LayerSource, WhiteoutFormat } from "../layer/types.ts";
import type { PassedLayer } from "./stream-pass.ts";
import type { TarIndex } from "./tar-index.ts";

/** A layer unpacked into temp paths of the load's lease, verified against what the image says. */
export interface UnpackedLayer {
  applied: AppliedLayer;
  tempDir: string;
  tempBlob: string;
}

/** What an unpacked layer must match. */
export interface LayerExpectation {
  diffId: Digest;
  /** The blob digest a manifest in the archive gives, when there is one. */
  digest?: Digest;
}

/** Where layer blobs come from: byte ranges of a plain archive, or members already streamed. */
export interface LayerProvider {
  /** True when the archive holds the member (after links). */
  has(name: string): boolean;
  /** Unpacks a member into new temp paths of `lease`, verified; `InvalidArgument` on mismatch. */
  unpack(
    name: string,
    expect: LayerExpectation,
    lease: Lease,
    signal?: AbortSignal,
  ): Promise<UnpackedLayer>;
}

interface ApplyArgs {
  source: LayerSource;
  expect: LayerExpectation;
  lease: Lease;
  whiteoutFormat: WhiteoutFormat;
  signal?: AbortSignal;
}

/** Unpacks one blob into fresh temp paths, with applyLayer verifying its digests. */
async function applyTo(name: string, args: ApplyArgs): Promise<UnpackedLayer> {
  const tempDir = args.lease.tempPath("layer");
  const tempBlob = args.lease.tempPath("blob");
  try {
    const applied = await applyLayer({
      source: args.source,
      target: tempDir,
      blobPath: tempBlob,
      whiteoutFormat: args.whiteoutFormat,
      expectedDiffId: args.expect.diffId,
      ...(args.expect.digest ? { expectedDigest: args.expect.digest } : {}),
      ...(args.signal ? { signal: args.signal } : {}),
    });
    checkApplied(name, applied, args.expect);
    return { applied, tempDir, tempBlob };
  } catch (err) {
    throw layerError(name, err);
  }
}

/** Layers of a plain tar archive, unpacked straight from their byte ranges (in parallel). */
export class RangeProvider implements LayerProvider {
  constructor(
    private readonly file: string,
    private readonly index: TarIndex,
    private readonly whiteoutFormat: WhiteoutFormat,
  ) {}

  has(name: string): boolean {
    return this.index.resolve(name) !== undefined;
  }

  unpack(name: string, expect: LayerExpectation, lease: Lease, signal?: AbortSignal) {
    const m = this.index.resolve(name);
    if (!m) throw imageError("InvalidArgument", `layer "${name}" is missing from the archive`);
    const source: LayerSource = {
      kind: "file",
      path: this.file,
      start: m.start,
      end: m.start + m.size,
    };
    return applyTo(name, {
      source,
      expect,
      lease,
      whiteoutFormat: this.whiteoutFormat,
      ...(signal ? { signal } : {}),
    });
  }
}

/**
 * Layers of a compressed archive, unpacked while it streamed past. The first image position that
 * needs a member takes its unpacked directory; another position (the same blob at a different
 * chain ID) unpacks it again from the blob copy kept beside it.
 */
export class PassedProvider implements LayerProvider {
  readonly #taken = new Set<string>();

  constructor(
    private readonly resolve: (name: string) => string | undefined,
    private readonly layers: Map<string, PassedLayer>,
    private readonly whiteoutFormat: WhiteoutFormat,
  ) {}

  has(name: string): boolean {
    const resolved = this.resolve(name);
    return resolved !== undefined && this.layers.has(resolved);
  }

  async unpack(name: string, expect: LayerExpectation, lease: Lease, signal?: AbortSignal) {
    const resolved = this.resolve(name);
    const passed = resolved === undefined ? undefined : this.layers.get(resolved);
    if (resolved === undefined || !passed) {
      throw imageError("InvalidArgument", `layer "${name}" is missing from the archive`);
    }
    if (!passed.applied) throw layerError(name, passed.error);
    if (this.#taken.has(resolved)) {
      const source: LayerSource = { kind: "file", path: passed.tempBlob };
      return applyTo(name, {
        source,
        expect,
        lease,
        whiteoutFormat: this.whiteoutFormat,
        ...(signal ? { signal } : {}),
      });
    }
    checkApplied(name, passed.applied, expect);
    this.#taken.add(resolved);
    return { applied: passed.applied, tempDir: passed.tempDir, tempBlob: passed.tempBlob };
  }
}

function checkApplied(name: string, applied: AppliedLayer, expect: LayerExpectation): void {
  if (applied.diffId !== expect.diffId) {
    throw imageError(
      "InvalidArgument",
      `diffID mismatch for layer "${name}": the config says "${expect.diffId}", the layer is "${applied.diffId}"`,
    );
  }
  if (expect.digest && applied.digest !== expect.digest) {
    throw imageError(
      "InvalidArgument",
      `digest mismatch for layer "${name}": the manifest says "${expect.digest}", the blob is "${applied.digest}"`,
    );
  }
}

/** Names the layer in an unpack error, keeping its kind; an abort passes through unchanged. */
function layerError(name: string, err: unknown): unknown {
  if (err instanceof Error && err.name === "AbortError") return err;
  if (err instanceof ImageError && err.message.includes(`"${name}"`)) return err;
  if (err instanceof ImageError) {
    return new ImageError(err.kind, `layer "${name}": ${err.message}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return imageError("Internal", `layer "${name}": ${message}`, err);
}
