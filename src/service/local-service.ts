import { parseJson } from "../digest/bounded-read.ts";
import { ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import { normaliseName } from "../reference/normalise.ts";
import {
  embeddedHistory,
  inspectEmbedded,
  listEmbedded,
  loadEmbedded,
  removeEmbedded,
  resolveAnyImage,
  resolveFilterSubject,
  resolveOciOnly,
} from "./embedded-images.ts";
import {
  buildImageFilter,
  type FilterSubject,
  referenceTagMatcher,
  rfc3339Nanos,
} from "./filters.ts";
import { inspectDocument } from "./inspect-document.ts";
import { isDigestName, repoDigests, repoTags } from "./names.ts";
import type { RegistrySettings } from "./registry-ops.ts";
import type {
  HistoryItem,
  ImageService,
  ImageSummary,
  ImportRequest,
  ImportResult,
  ListRequest,
  LoadRequest,
  LoadResult,
  LoginRequest,
  LogoutRequest,
  PruneRequest,
  PruneResult,
  PullRequest,
  PullResult,
  PushRequest,
  PushResult,
  RemoveRequest,
  RemoveResult,
  SaveRequest,
  SearchRequest,
  SearchResult,
} from "./types.ts";

/**
 * How often `remove` and `tag` look the image up again when other processes keep changing it
 * between their lookup and their write.
 */
const RETRY_ATTEMPTS = 10;

/**
 * The in-process `ImageService` of direct mode and of the daemon: every operation runs against
 * one `ImageStore`. Safe to share between concurrent calls; the store serialises writes across
 * processes.
 */
export class LocalImageService implements ImageService {
  readonly #store: ImageStore;
  readonly #registry: RegistrySettings | undefined;

  /** `registry`: what pull, login and logout need; without it they are `NotImplemented`. */
  constructor(store: ImageStore, registry?: RegistrySettings) {
    this.#store = store;
    this.#registry = registry;
  }

  async load(req: LoadRequest): Promise<LoadResult> {
    if (req.type === "embedded") return loadEmbedded(this.#store, req.file, req.signal);
    try {
      // The archive code is loaded only by the commands that use it, so `images` starts fast.
      const { loadArchive } = await import("../archive/load-archive.ts");
      return await loadArchive({
        store: this.#store,
        file: req.file,
        tag: req.tag,
        signal: req.signal,
      });
    } catch (err) {
      const kind = err instanceof ImageError ? err.kind : "Internal";
      const reason = err instanceof Error ? err.message : String(err);
      throw imageError(kind, `Load image ${req.file} failed: ${reason}`, err);
    }
  }

  async list(req: ListRequest): Promise<ImageSummary[]> {
    // createdNs only serves before/since filters: computed when one asks (issue #4, list time).
    const subject = (record: ImageRecord): FilterSubject => ({
      record,
      get createdNs() {
        return rfc3339Nanos(record.created);
      },
    });
    const keep = buildImageFilter(req.filters, (name) => resolveFilterSubject(this.#store, name));
    const shownTag = referenceTagMatcher(req.filters);
    const oci = this.#store
      .listImages()
      .map(subject)
      .filter(keep)
      .map(({ record }) => summarise(record, shownTag));
    return [...oci, ...listEmbedded(this.#store, keep)];
  }

  async inspect(name: string): Promise<unknown> {
    const found = resolveAnyImage(this.#store, name);
    if (found.embedded) return inspectEmbedded(found.embedded);
    const { record } = found.oci;
    return inspectDocument(record, this.#config(record));
  }

  async remove(req: RemoveRequest): Promise<RemoveResult> {
    // Whether to untag or delete is decided on the image as read; the store acts only if no
    // other process changed its names since (else a name given meanwhile would go with it), and
    // the decision is made again on what is there now.
    for (let attempt = 1; ; attempt++) {
      const found = resolveAnyImage(this.#store, req.name);
      if (found.embedded) return removeEmbedded(this.#store, found.embedded);
      const done = this.#removeOci(found.oci.record, found.oci.name, req.force);
      if (done) return done;
      if (attempt === RETRY_ATTEMPTS) {
        throw imageError(
          "Unavailable",
          `image "${req.name}" kept changing while being removed; try again`,
        );
      }
    }
  }

  /** One attempt of `remove`; `undefined` when the image's names changed since `record`. */
  #removeOci(record: ImageRecord, name: string | undefined, force: boolean | undefined) {
    const tags = repoTags(record);
    // By name: only that name goes while the image keeps a tag; removing its last tag deletes
    // the image, digest names and all (as Docker does; iSulad agrees for single-name images).
    if (name !== undefined) {
      const rest = record.names.filter((n) => n !== name);
      const keepsTag = rest.some((n) => !isDigestName(n));
      if (keepsTag || (isDigestName(name) && rest.length > 0)) {
        if (!this.#store.removeName(name, record)) return undefined;
        return { action: "untagged", id: record.id } satisfies RemoveResult;
      }
    }
    // By ID: Docker refuses to drop several names at once unless forced (DESIGN §5).
    if (name === undefined && tags.length > 1 && !force) {
      throw imageError(
        "FailedPrecondition",
        `conflict: unable to delete ${record.id.slice(0, 12)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (!this.#store.deleteImage(record.id, record)) return undefined;
    return { action: "deleted", id: record.id } satisfies RemoveResult;
  }

  async tag(source: string, target: string): Promise<void> {
    let { record } = resolveOciOnly(this.#store, source, "tagged");
    const name = normaliseName(target);
    if (isDigestName(name)) {
      throw imageError("InvalidArgument", `${target} is not a valid tag`);
    }
    // Another process may delete the image between the lookup and the write: look again (the
    // source may be gone for good, "No such image", or name another image by now).
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) ({ record } = resolveOciOnly(this.#store, source, "tagged"));
      try {
        this.#store.addName(record.id, name);
        return;
      } catch (err) {
        const gone = err instanceof ImageError && err.kind === "NotFound";
        if (!gone || attempt === RETRY_ATTEMPTS) throw err;
      }
    }
  }

  async save(req: SaveRequest): Promise<void> {
    const byId = new Map<string, { record: ImageRecord; names: string[] }>();
    for (const input of req.names) {
      const { record, name } = resolveOciOnly(this.#store, input, "saved");
      const entry = byId.get(record.id) ?? { record, names: [] };
      if (name !== undefined && !isDigestName(name) && !entry.names.includes(name)) {
        entry.names.push(name);
      }
      byId.set(record.id, entry);
    }
    const { saveArchive } = await import("../archive/save-archive.ts");
    await saveArchive({
      store: this.#store,
      images: [...byId.values()],
      output: req.output,
      signal: req.signal,
    });
  }

  // The registry and layer code is loaded only by the commands that use it, so `images` and
  // `inspect` do not pay for it (nor for the native xattr module the extractor loads).
  async pull(req: PullRequest): Promise<PullResult> {
    const { pullWithRegistry } = await import("./registry-ops.ts");
    return pullWithRegistry(this.#store, this.#registrySettings(), req);
  }

  async login(req: LoginRequest): Promise<void> {
    const { loginWithRegistry } = await import("./registry-ops.ts");
    return loginWithRegistry(this.#registrySettings(), req);
  }

  async logout(req: LogoutRequest): Promise<void> {
    const { logoutFromRegistry } = await import("./registry-ops.ts");
    return logoutFromRegistry(this.#registrySettings(), req);
  }

  async history(name: string): Promise<HistoryItem[]> {
    const found = resolveAnyImage(this.#store, name);
    if (found.embedded) return embeddedHistory(found.embedded);
    const { record } = found.oci;
    const { imageHistory } = await import("./image-history.ts");
    return imageHistory(record.id, this.#config(record), this.#store.imageLayers(record));
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    const { pruneImages } = await import("./prune-images.ts");
    return pruneImages(this.#store, req.all);
  }

  async importImage(req: ImportRequest): Promise<ImportResult> {
    const name = req.name === undefined ? undefined : importName(req.name);
    const [{ importRootfs }, { platformOfThisHost }] = await Promise.all([
      import("../archive/import-rootfs.ts"),
      import("../registry/platform.ts"),
    ]);
    try {
      return await importRootfs({
        store: this.#store,
        file: req.file,
        ...(name !== undefined ? { name } : {}),
        platform: platformOfThisHost(),
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      const kind = err instanceof ImageError ? err.kind : "Internal";
      const reason = err instanceof Error ? err.message : String(err);
      throw imageError(kind, `importing rootfs tarball: ${reason}`, err);
    }
  }

  async push(req: PushRequest): Promise<PushResult> {
    const { pushWithRegistry } = await import("./push-search-ops.ts");
    return pushWithRegistry(this.#store, this.#registrySettings(), req);
  }

  async search(req: SearchRequest): Promise<SearchResult[]> {
    const { searchWithRegistry } = await import("./push-search-ops.ts");
    return searchWithRegistry(this.#registrySettings(), req);
  }

  #registrySettings(): RegistrySettings {
    if (this.#registry) return this.#registry;
    throw imageError("NotImplemented", "this service was opened without registry settings");
  }

  async close(): Promise<void> {
    this.#store.close();
  }

  #config(record: ImageRecord): ImageConfig {
    const bytes = this.#store.readBlob(`sha256:${record.id}`);
    return parseJson(bytes, `config of image ${record.id}`) as ImageConfig;
  }
}

/** The normalised `repo:tag` an import stores; a digest or an invalid name is `InvalidArgument`. */
function importName(input: string): string {
  let name: string;
  try {
    name = normaliseName(input);
  } catch (err) {
    throw imageError("InvalidArgument", `invalid reference format: ${input}`, err);
  }
  if (isDigestName(name)) throw imageError("InvalidArgument", `${input} is not a valid tag`);
  return name;
}

function summarise(record: ImageRecord, shownTag?: (tag: string) => boolean): ImageSummary {
  const tags = repoTags(record);
  return {
    id: record.id,
    repoTags: shownTag ? tags.filter(shownTag) : tags,
    repoDigests: repoDigests(record),
    created: record.created,
    size: record.size,
    digest: record.digest,
    type: "oci",
  };
}
