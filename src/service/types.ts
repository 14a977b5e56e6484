import type { Digest } from "../digest/digest.ts";
import type { PullProgress } from "../pull/types.ts";
import type { PushProgress } from "../push/types.ts";
import type { SearchResult } from "../registry/registry-search.ts";

/**
 * The façade every front end calls (DESIGN §2): the CLI in direct mode holds the in-process
 * implementation, and later the daemon proxy implements the same interface over gRPC. Methods
 * throw `ImageError`; the CLI turns the kind and message into iSulad's lines and exit codes.
 */
export interface ImageService {
  /** Loads every image of an archive; returns the names (or IDs, for untagged images) stored. */
  load(req: LoadRequest): Promise<LoadResult>;
  /** Lists images, filtered as `isula images -f` does; rows are unsorted. */
  list(req: ListRequest): Promise<ImageSummary[]>;
  /** The inspect document of one image as a JSON value (`{"image": {...}}` for OCI images). */
  inspect(name: string): Promise<unknown>;
  /** Removes a name, or the whole image (see DESIGN §5 for when); returns what happened. */
  remove(req: RemoveRequest): Promise<RemoveResult>;
  /** Gives the image `source` resolves to the name `target`, moving it off any other image. */
  tag(source: string, target: string): Promise<void>;
  /** Writes a docker-archive of the named images to `output`. */
  save(req: SaveRequest): Promise<void>;
  /** Pulls an image from a registry into the store; returns its stored name and 64-hex ID. */
  pull(req: PullRequest): Promise<PullResult>;
  /** Checks credentials against a registry, then stores them (auths.json). */
  login(req: LoginRequest): Promise<void>;
  /** Forgets the stored credentials of a registry; nothing stored is success. */
  logout(req: LogoutRequest): Promise<void>;
  /** The image's history as `isula history` shows it (newest first, with layer sizes). */
  history(name: string): Promise<HistoryItem[]>;
  /** Deletes dangling images (or, with `all`, every image); what went and the space freed. */
  prune(req: PruneRequest): Promise<PruneResult>;
  /** Stores a one-layer image made of a rootfs tarball; returns its 64-hex ID. */
  importImage(req: ImportRequest): Promise<ImportResult>;
  /** Uploads a stored image to the registry its name names; per-layer progress (`isula push`). */
  push(req: PushRequest): Promise<PushResult>;
  /** Searches a registry: v1 search, or the `_catalog` of a registry the term names. */
  search(req: SearchRequest): Promise<SearchResult[]>;
  /** Releases the store (database handle, locks). */
  close(): Promise<void>;
}

export type { PullProgress } from "../pull/types.ts";
export type { PushProgress } from "../push/types.ts";
export type { SearchResult } from "../registry/registry-search.ts";

export interface PushRequest {
  /** `NAME[:TAG]` or `NAME@sha256:...`: a stored image's name, host included. */
  name: string;
  signal?: AbortSignal;
  /** Per-layer progress and outcome: pushing, pushed, exists, mounted. */
  onProgress?: (p: PushProgress) => void;
}

export interface PushResult {
  /** The normalised name pushed. */
  name: string;
  /** The tag (or digest) the manifest was put under. */
  reference: string;
  /** Digest and size in bytes of the manifest uploaded. */
  digest: Digest;
  size: number;
}

export interface SearchRequest {
  /** `TERM`, or `host[:port]/TERM` to search that registry. */
  term: string;
  /** 1-100 (`--limit`, default 25). */
  limit: number;
  /** `-f` filters, key lowercased: `stars`, `is-official`, `is-automated`. */
  filters: Record<string, string[]>;
  signal?: AbortSignal;
}

export interface PullRequest {
  /** The name as the user typed it: `NAME[:TAG][@DIGEST]`. */
  name: string;
  /** `--platform os/arch[/variant]`. */
  platform?: string;
  /** Credentials for this pull only (CRI `AuthConfig`); they take priority over stored ones. */
  credentials?: { username: string; password: string };
  signal?: AbortSignal;
  /** Per-layer progress: `{ id, current, total, status }`. */
  onProgress?: (p: PullProgress) => void;
}

export interface PullResult {
  /** The normalised name stored: `busybox:latest`, `repo@sha256:...`. */
  name: string;
  /** 64 hex, without `sha256:`. */
  id: string;
}

export interface LoginRequest {
  server: string;
  username: string;
  password: string;
}

export interface LogoutRequest {
  server: string;
}

export interface LoadRequest {
  /** Absolute path of the archive (or, later, the embedded manifest). */
  file: string;
  /** `--tag`: the single image of the archive gets this name instead of its RepoTags. */
  tag?: string;
  /** `docker` (the default) or `embedded`. */
  type?: "docker" | "embedded";
  signal?: AbortSignal;
}

export interface LoadResult {
  /** One entry per image loaded: its normalised names and its 64-hex ID. */
  images: { id: string; names: string[] }[];
}

export interface ListRequest {
  /** Filters as given, key lowercased: `{ dangling: ["true"], reference: ["busy*"] }`. */
  filters: Record<string, string[]>;
}

/** One stored image as `isula images` needs it. */
export interface ImageSummary {
  /** 64 hex, without `sha256:`. */
  id: string;
  /** Normalised `repo:tag` names. */
  repoTags: string[];
  /** `repo@sha256:...` names (stored digest names and `repo@<manifest digest>` of each tag). */
  repoDigests: string[];
  /** The config's `created` as stored (RFC 3339, possibly with nanoseconds), or "" if none. */
  created: string;
  /** Bytes: config + manifest + the uncompressed size of every layer (no off-by-one). */
  size: number;
  /** Manifest digest recorded at load or pull time. */
  digest?: Digest;
  /** `embedded` for embedded images (issue #5). */
  type?: "oci" | "embedded";
}

export interface RemoveRequest {
  name: string;
  force: boolean;
}

export interface RemoveResult {
  /** `untagged`: only the name was removed; `deleted`: the image and its unshared layers. */
  action: "untagged" | "deleted";
  id: string;
}

export interface SaveRequest {
  names: string[];
  output: string;
  signal?: AbortSignal;
}

/** One entry of an image's history (`docker history`'s row). */
export interface HistoryItem {
  /** 64 hex: the image's ID, on the newest entry only. */
  id?: string;
  /** The entry's `created` as in the config (RFC 3339), "" if none. */
  created: string;
  createdBy: string;
  /** Diff size of the layer this entry made; 0 for empty layers. */
  size: number;
  comment: string;
  emptyLayer: boolean;
}

export interface PruneRequest {
  /** `-a`: every image, not only dangling ones. */
  all: boolean;
}

export interface PruneResult {
  /** In order: each name taken off an image, then the image deleted (64 hex). */
  items: ({ untagged: string } | { deleted: string })[];
  /** Bytes freed: diff sizes of the layers removed, plus their blobs when freed. */
  reclaimed: number;
}

export interface ImportRequest {
  /** Absolute path of the rootfs tarball (plain, gzip, xz or zstd). */
  file: string;
  /** `REPOSITORY[:TAG]` as the user typed it; absent: the image gets no name. */
  name?: string;
  signal?: AbortSignal;
}

export interface ImportResult {
  /** 64 hex. */
  id: string;
}
