/** One `WWW-Authenticate` challenge: the scheme (lower-cased) and its parameters. */
export interface Challenge {
  scheme: "basic" | "bearer";
  /** Parameter names lower-cased; values unquoted (`realm`, `service`, `scope`, ...). */
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` header values (RFC 7235: several challenges per value allowed,
 * quoted values may hold commas, as in `scope="repository:a:pull,push"`). Keeps only the Basic
 * and Bearer schemes, as iSulad does; anything unparsable is skipped, never thrown.
 */
export function parseChallenges(values: string | string[] | undefined): Challenge[] {
  if (values === undefined) return [];
  const out: Challenge[] = [];
  for (const value of Array.isArray(values) ? values : [values]) {
    for (const c of parseOne(value)) {
      const scheme = c.scheme.toLowerCase();
      if (scheme === "basic" || scheme === "bearer") out.push({ scheme, params: c.params });
    }
  }
  return out;
}

interface RawChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** A small scanner over one header value; see `parseChallenges`. */
function parseOne(value: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  let i = 0;
  let current: RawChallenge | undefined;
  const skip = (chars: RegExp) => {
    while (i < value.length && chars.test(value[i] as string)) i++;
  };
  while (i < value.length) {
    skip(/[\s,]/);
    const m = TOKEN_RE.exec(value.slice(i));
    if (!m) break;
    const token = m[0];
    i += token.length;
    skip(/\s/);
    if (value[i] !== "=") {
      current = { scheme: token, params: {} };
      out.push(current);
      continue;
    }
    i++; // "="
    skip(/\s/);
    let v = "";
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === "\\") i++;
        v += value[i] ?? "";
        i++;
      }
      i++; // closing quote
    } else {
      const tm = /^[^,\s]*/.exec(value.slice(i));
      v = tm?.[0] ?? "";
      i += v.length;
    }
    // A token68 (`Basic abc==`) or a parameter before any scheme is ignored.
    if (current) current.params[token.toLowerCase()] = v;
  }
  return out;
}
