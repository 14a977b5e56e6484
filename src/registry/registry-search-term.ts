import { imageError } from "../errors.ts";
import { looksLikeHost } from "../reference/grammar.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { type SearchResult, searchCatalog, searchV1 } from "./registry-search.ts";
import type { RegistrySession } from "./registry-session.ts";

/** Docker Hub's v1 index, where a TERM without a host is searched (iSulad §1.9). */
export const DOCKER_HUB_INDEX = "index.docker.io";

/** A TERM split into the registry to ask and the text to look for. */
export interface SearchTerm {
  host: string;
  query: string;
  /** True when the user named the host (`host:port/term`). */
  explicitHost: boolean;
}

/**
 * Splits `isula search` TERM: `host[:port]/rest` names a registry (the first component contains
 * `.` or `:`, or is `localhost`), anything else is searched on Docker Hub's index. `docker.io`
 * means the index too. Throws `InvalidArgument` for an empty term.
 */
export function parseSearchTerm(term: string): SearchTerm {
  const slash = term.indexOf("/");
  const first = slash < 0 ? "" : term.slice(0, slash);
  if (slash > 0 && looksLikeHost(first)) {
    const hub = first === "docker.io" || first === DOCKER_HUB_INDEX;
    return {
      host: hub ? DOCKER_HUB_INDEX : first,
      query: term.slice(slash + 1),
      explicitHost: !hub,
    };
  }
  if (term.trim() === "") throw imageError("InvalidArgument", "search term must not be empty");
  return { host: DOCKER_HUB_INDEX, query: term, explicitHost: false };
}

/**
 * Searches TERM: v1 search first; when the registry has none (404) and the user named the host,
 * the repositories of its `_catalog` that contain the query. Results are as the registry gave
 * them (v1) or sorted by name (catalog), at most `limit`. Throws `InvalidArgument` (term),
 * `NotImplemented` (Docker Hub without v1 search, a registry with neither), and the transport's
 * errors.
 */
export async function searchRegistry(
  term: string,
  opts: {
    limit: number;
    signal?: AbortSignal;
    open: (host: string) => { session: RegistrySession; dispatchers: Dispatchers };
  },
): Promise<SearchResult[]> {
  const t = parseSearchTerm(term);
  const { session, dispatchers } = opts.open(t.host);
  const signal = opts.signal && { signal: opts.signal };
  const v1 = await searchV1(session, dispatchers, { term: t.query, limit: opts.limit, ...signal });
  if (v1 !== undefined) return v1.slice(0, opts.limit);
  if (!t.explicitHost)
    throw imageError("NotImplemented", `registry "${t.host}" offers no v1 search`);
  return searchCatalog(session, { term: t.query, ...signal });
}
