/**
 * Property-based tests of the reference parser (issue #6): parse∘format round trips on
 * generated references, normalisation is idempotent, and arbitrary strings only ever fail with
 * a one-line `InvalidArgument`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ImageError } from "../errors.ts";
import { MAX_REFERENCE_LENGTH } from "./grammar.ts";
import { normaliseName, normaliseReference, remoteTarget } from "./normalise.ts";
import { formatReference, isValidImageName, parseReference } from "./parse-reference.ts";

const RUNS = { numRuns: 500 };

const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const separator = fc.constantFrom(".", "_", "__", "-", "--");
/** A repository path component: alnum runs joined by separators. */
const component = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([s, a]) => s + a).join(""));
const domain = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,6}[A-Za-z0-9])?$/);
/** Hosts that look like hosts: a dotted name, a port, `localhost` or an IPv6 literal. */
const host = fc.oneof(
  fc
    .tuple(domain, fc.array(domain, { minLength: 1, maxLength: 3 }))
    .map(([a, r]) => [a, ...r].join(".")),
  fc.tuple(domain, fc.integer({ min: 1, max: 65535 })).map(([d, p]) => `${d}:${p}`),
  fc.constant("localhost"),
  fc.constant("[::1]:5000"),
);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

/** Reference parts that format to a reference of at most 255 characters. */
const parts = fc
  .record(
    {
      host,
      path: fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join("/")),
      tag,
      digest,
    },
    { requiredKeys: ["path"] },
  )
  // Without a host, a first component that looks like one would be read as the host.
  .filter((p) => p.host !== undefined || !p.path.includes("/") || !/[.:]|^localhost\//.test(p.path))
  .filter((p) => formatReference(p).length <= MAX_REFERENCE_LENGTH);

/** Only a one-line `InvalidArgument` may escape. */
function refusedCleanly(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    assert.equal(err.kind, "InvalidArgument");
    assert.doesNotMatch(err.message, /[\n\r]/);
  }
}

describe("the reference parser, property-based", () => {
  it("parseReference(formatReference(parts)) gives the parts back", () => {
    fc.assert(
      fc.property(parts, (p) => {
        const text = formatReference(p);
        assert.deepEqual(parseReference(text), { original: text, ...p });
      }),
      RUNS,
    );
  });

  it("normalising a normalised name changes nothing", () => {
    fc.assert(
      fc.property(parts, (p) => {
        const once = normaliseName(formatReference(p));
        // iSulad strips one leading "library/" only: "docker.io/library/library/x" stores as
        // "library/x:latest", which would normalise again to "x:latest" (see the README).
        fc.pre(!once.startsWith("library/"));
        assert.equal(normaliseName(once), once);
        assert.ok(isValidImageName(once), once);
      }),
      RUNS,
    );
  });

  it("normalising keeps the tag and the digest and adds latest only without either", () => {
    fc.assert(
      fc.property(parts, (p) => {
        const n = normaliseReference(formatReference(p));
        assert.equal(n.digest, p.digest);
        assert.equal(n.tag, p.tag ?? (p.digest === undefined ? "latest" : undefined));
        const target = remoteTarget(parseReference(formatReference(p)));
        assert.equal(target.reference, p.digest ?? p.tag ?? "latest");
      }),
      RUNS,
    );
  });

  it("never throws anything but a one-line InvalidArgument on arbitrary strings", () => {
    const anyText = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.stringMatching(/^[a-zA-Z0-9:@/._\-[\]]{0,80}$/),
      parts
        .map(formatReference)
        .chain((s) =>
          fc
            .tuple(fc.nat(s.length), fc.string({ maxLength: 3 }))
            .map(([i, x]) => s.slice(0, i) + x + s.slice(i)),
        ),
    );
    fc.assert(
      fc.property(anyText, (s) => {
        refusedCleanly(() => parseReference(s));
        refusedCleanly(() => normaliseReference(s));
        refusedCleanly(() => remoteTarget(parseReference(s)));
        assert.equal(
          isValidImageName(s),
          (() => {
            try {
              parseReference(s);
              return true;
            } catch {
              return false;
            }
          })(),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
