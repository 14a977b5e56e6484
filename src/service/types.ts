import type { Digest } from "../digest/digest.ts";
import type { PullProgress } from "../pull/types.ts";

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
  /** Releases the store (database handle, locks). */
  close(): Promise<void>;
}

export type { PullProgress } from "../pull/types.ts";

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
