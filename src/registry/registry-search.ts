import { parseJson, readBounded } from "../digest/bounded-read.ts";
import { imageError } from "../errors.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { type HttpResponse, send } from "./http-request.ts";
import type { RegistrySession } from "./registry-session.ts";
import { statusError } from "./status-errors.ts";

/** One repository a search found (Docker's v1 search fields). */
export interface SearchResult {
  name: string;
  description: string;
  starCount: number;
  isOfficial: boolean;
  isAutomated: boolean;
}

/** Bound of one search or catalog answer. */
const SEARCH_BODY_LIMIT = 4 * 1024 * 1024;
/** Catalog page size asked for, and the most pages followed (100,000 repositories). */
const CATALOG_PAGE = 100;
const CATALOG_MAX_PAGES = 1000;

/**
 * `GET /v1/search?q=<term>&n=<limit>` on the session's host, without credentials first and with
 * them after a 401. Returns the results, or `undefined` when the registry has no v1 search
 * (404). Throws `Unauthenticated`, `Unavailable`, `InvalidArgument` (a body that is not a
 * search answer).
 */
export async function searchV1(
  session: RegistrySession,
  dispatchers: Dispatchers,
  req: { term: string; limit: number; signal?: AbortSignal },
): Promise<SearchResult[] | undefined> {
  await session.ping(req.signal);
  const path = `/v1/search?${new URLSearchParams({ q: req.term, n: String(req.limit) })}`;
  let res: HttpResponse = await send(dispatchers, {
    url: new URL(path, session.base),
    ...(req.signal && { signal: req.signal }),
  });
  if (res.statusCode === 401) {
    await res.body.dump();
    res = await session.request(path, { ...(req.signal && { signal: req.signal }) });
  }
  if (res.statusCode === 404) {
    await res.body.dump();
    return undefined;
  }
  const doing = `searching "${req.term}" on "${session.host}"`;
  if (res.statusCode !== 200) throw await statusError(res, doing);
  const doc = parseJson(await readBounded(res.body, SEARCH_BODY_LIMIT, "search answer"), doing);
  const results = (doc as { results?: unknown } | null)?.results;
  if (!Array.isArray(results))
    throw imageError("InvalidArgument", `${doing}: the answer holds no results`);
  return results.map(resultOf);
}

function resultOf(r: unknown): SearchResult {
  const o = (r ?? {}) as Record<string, unknown>;
  return {
    name: typeof o.name === "string" ? o.name : "",
    description: typeof o.description === "string" ? o.description : "",
    starCount: typeof o.star_count === "number" ? o.star_count : 0,
    isOfficial: o.is_official === true,
    isAutomated: o.is_automated === true,
  };
}

/**
 * Every repository of the registry's `/v2/_catalog` whose name contains `term` (case-insensitive;
 * all of them for an empty term), following `Link: <...>; rel="next"` pages on the same host.
 * Names come back as `<host>/<repository>`, sorted. Throws `NotImplemented` when the registry
 * has no catalog (404), and the status and transport errors otherwise.
 */
export async function searchCatalog(
  session: RegistrySession,
  req: { term: string; signal?: AbortSignal },
): Promise<SearchResult[]> {
  const needle = req.term.toLowerCase();
  const found: string[] = [];
  let path: string | undefined = `/v2/_catalog?n=${CATALOG_PAGE}`;
  for (let page = 0; path !== undefined && page < CATALOG_MAX_PAGES; page++) {
    const res = await session.request(path, {
      scope: "registry:catalog:*",
      ...(req.signal && { signal: req.signal }),
    });
    const doing = `listing the catalog of "${session.host}"`;
    if (res.statusCode === 404) {
      await res.body.dump();
      throw imageError(
        "NotImplemented",
        `registry "${session.host}" offers neither v1 search nor a catalog`,
      );
    }
    if (res.statusCode !== 200) throw await statusError(res, doing);
    const doc = parseJson(await readBounded(res.body, SEARCH_BODY_LIMIT, "catalog page"), doing);
    const repos = (doc as { repositories?: unknown } | null)?.repositories;
    if (!Array.isArray(repos))
      throw imageError("InvalidArgument", `${doing}: the answer holds no repositories`);
    for (const r of repos)
      if (typeof r === "string" && r.toLowerCase().includes(needle)) found.push(r);
    path = nextPage(res.headers.link, session.base);
  }
  return found.sort().map((r) => ({
    name: `${session.host}/${r}`,
    description: "",
    starCount: 0,
    isOfficial: false,
    isAutomated: false,
  }));
}

/** The path of a `rel="next"` link on `base`'s origin, or undefined. */
export function nextPage(link: string | string[] | undefined, base: string): string | undefined {
  const text = Array.isArray(link) ? link.join(",") : (link ?? "");
  const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(text);
  if (!m?.[1]) return undefined;
  const url = new URL(m[1], base);
  if (url.origin !== new URL(base).origin) return undefined;
  return `${url.pathname}${url.search}`;
}
