import { findEmbeddedByName } from "../embedded/embedded-store.ts";
import { imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import { pushImage } from "../push/push-image.ts";
import { normaliseReference, remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import type { SearchResult } from "../registry/registry-search.ts";
import { clientOptions, prefixed, type RegistrySettings } from "./registry-ops.ts";
import type { PushRequest, PushResult, SearchRequest } from "./types.ts";

/**
 * `isula push NAME[:TAG]`: the name must be a stored OCI image's name (`repo:tag`, or
 * `repo@sha256:...` to push by digest); its host and repository say where it goes. Checked
 * before any network I/O: `Invalid image name: <arg>`, `An image does not exist locally with
 * the tag: <arg>` (`NotFound`), embedded images (`FailedPrecondition`). Other failures are
 * `Failed to push image <arg> with error: <reason>`, keeping their kind.
 */
export async function pushWithRegistry(
  store: ImageStore,
  settings: RegistrySettings,
  req: PushRequest,
): Promise<PushResult> {
  let stored: string;
  let target: ReturnType<typeof remoteTarget>;
  try {
    stored = normaliseReference(req.name).name;
    target = remoteTarget(parseReference(req.name));
  } catch (err) {
    throw imageError("InvalidArgument", `Invalid image name: ${req.name}`, err);
  }
  const record = store.findByName(stored);
  if (record === undefined) {
    if (findEmbeddedByName(store, stored) !== undefined)
      throw imageError(
        "FailedPrecondition",
        `Failed to push image ${req.name} with error: embedded images cannot be pushed`,
      );
    throw imageError("NotFound", `An image does not exist locally with the tag: ${req.name}`);
  }
  const secrets: string[] = [];
  try {
    const client = (await settings.loadRegistry()).openClient(clientOptions(settings, secrets));
    try {
      const out = await pushImage({
        store,
        record,
        target: client.pushDestination(target.host, target.repository),
        reference: target.reference,
        maxConcurrentUploads: settings.config.maxConcurrentDownloads,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      return { name: stored, ...out };
    } finally {
      await client.close();
    }
  } catch (err) {
    throw prefixed(err, `Failed to push image ${req.name} with error: `, secrets);
  }
}

/** Docker's `--limit` range. */
export const SEARCH_LIMIT_MAX = 100;

/**
 * `isula search`: checks the limit (1-100) and the filters (`stars=<n>`,
 * `is-official=true|false`, `is-automated=true|false`; `InvalidArgument` otherwise), asks the
 * registry (see `RegistryClient.search`), filters, and keeps at most `limit` results. Registry
 * failures are `Search image <term> failed: <reason>`, keeping their kind.
 */
export async function searchWithRegistry(
  settings: RegistrySettings,
  req: SearchRequest,
): Promise<SearchResult[]> {
  if (!Number.isInteger(req.limit) || req.limit < 1 || req.limit > SEARCH_LIMIT_MAX)
    throw imageError(
      "InvalidArgument",
      `Limit ${req.limit} is outside the range of [1, ${SEARCH_LIMIT_MAX}]`,
    );
  const keep = searchFilter(req.filters);
  const secrets: string[] = [];
  try {
    const client = (await settings.loadRegistry()).openClient(clientOptions(settings, secrets));
    try {
      const found = await client.search(req.term, {
        limit: req.limit,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return found.filter(keep).slice(0, req.limit);
    } finally {
      await client.close();
    }
  } catch (err) {
    throw prefixed(err, `Search image ${req.term} failed: `, secrets);
  }
}

/** The predicate of `search -f` filters (all must hold). Throws `InvalidArgument`. */
export function searchFilter(filters: Record<string, string[]>): (r: SearchResult) => boolean {
  const tests: ((r: SearchResult) => boolean)[] = [];
  for (const [key, values] of Object.entries(filters)) {
    for (const value of values) {
      const bad = () => imageError("InvalidArgument", `Invalid filter '${key}=${value}'`);
      if (key === "stars") {
        if (!/^\d+$/.test(value)) throw bad();
        const min = Number(value);
        tests.push((r) => r.starCount >= min);
      } else if (key === "is-official" || key === "is-automated") {
        if (value !== "true" && value !== "false") throw bad();
        const want = value === "true";
        const field = key === "is-official" ? "isOfficial" : "isAutomated";
        tests.push((r) => r[field] === want);
      } else {
        throw imageError("InvalidArgument", `Invalid filter '${key}'`);
      }
    }
  }
  return (r) => tests.every((t) => t(r));
}
