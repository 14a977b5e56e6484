import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageRecord } from "../image/types.ts";
import {
  buildImageFilter,
  type FilterSubject,
  referenceTagMatcher,
  rfc3339Nanos,
  wildcardRegExp,
} from "./filters.ts";

function image(id: string, names: string[], created: string, labels = {}): FilterSubject {
  const record: ImageRecord = {
    id: id.padEnd(64, "0"),
    names,
    digest: `sha256:${"d".repeat(64)}`,
    manifestMediaType: "",
    configSize: 0,
    manifestSize: 0,
    size: 0,
    created,
    loaded: created,
    labels,
  };
  return { record, createdNs: rfc3339Nanos(created) };
}

const old = image("a", ["busybox:latest", "busybox:1"], "2019-06-15T00:19:54.402459069Z", {
  maintainer: "x",
});
const mid = image("b", [], "2020-01-01T00:00:00Z");
const fresh = image("c", ["hub.example.com/app/web:2"], "2021-01-01T00:00:00.5+02:00", {
  tier: "web",
});
const all = [old, mid, fresh];
const byName = new Map([
  ["busybox", old],
  ["dangling-one", mid],
]);

function ids(filters: Record<string, string[]>): string[] {
  const keep = buildImageFilter(filters, (n) => {
    const s = byName.get(n);
    if (!s) throw new Error(`No such image:${n}`);
    return s;
  });
  return all.filter(keep).map((s) => s.record.id[0] as string);
}

describe("image filters", () => {
  it("dangling=true keeps images without tags, false the others", () => {
    assert.deepEqual(ids({ dangling: ["true"] }), ["b"]);
    assert.deepEqual(ids({ dangling: ["false"] }), ["a", "c"]);
  });

  it("rejects a dangling value other than true or false with iSulad's text", () => {
    assert.throws(() => ids({ dangling: ["yes"] }), /^ImageError: Invalid filter 'dangling'$/);
  });

  it("rejects an unknown key with iSulad's text", () => {
    assert.throws(() => ids({ colour: ["red"] }), /Invalid filter 'colour'/);
  });

  it("label matches a key, or a key and value", () => {
    assert.deepEqual(ids({ label: ["maintainer"] }), ["a"]);
    assert.deepEqual(ids({ label: ["tier=web"] }), ["c"]);
    assert.deepEqual(ids({ label: ["tier=db"] }), []);
  });

  it("before and since compare creation times with the named image", () => {
    assert.deepEqual(ids({ since: ["busybox"] }), ["b", "c"]);
    assert.deepEqual(ids({ before: ["dangling-one"] }), ["a"]);
  });

  it("before with an unknown image fails", () => {
    assert.throws(() => ids({ before: ["nope"] }), /No such image:nope/);
  });

  it("reference matches wildcards against repo:tag and the repository alone", () => {
    assert.deepEqual(ids({ reference: ["busy*"] }), ["a"]);
    assert.deepEqual(ids({ reference: ["busybox"] }), ["a"]);
    assert.deepEqual(ids({ reference: ["*web:?"] }), ["c"]);
    assert.deepEqual(ids({ reference: ["busy"] }), []);
  });

  it("values of one key are alternatives and keys combine with and", () => {
    assert.deepEqual(ids({ reference: ["busybox", "*web*"] }), ["a", "c"]);
    assert.deepEqual(ids({ reference: ["busybox", "*web*"], label: ["tier"] }), ["c"]);
  });
});

describe("referenceTagMatcher", () => {
  it("lets through only the tags a reference filter matches", () => {
    const shown = referenceTagMatcher({ reference: ["mine*", "busybox"] });
    assert.ok(shown);
    assert.deepEqual(["example/hello:latest", "mine:1", "busybox:1"].filter(shown), [
      "mine:1",
      "busybox:1",
    ]);
  });

  it("is absent without a reference filter", () => {
    assert.equal(referenceTagMatcher({ dangling: ["true"] }), undefined);
  });
});

describe("wildcardRegExp", () => {
  it("treats regex metacharacters literally", () => {
    assert.ok(wildcardRegExp("a.b+c").test("a.b+c"));
    assert.ok(!wildcardRegExp("a.b").test("axb"));
  });
});

describe("rfc3339Nanos", () => {
  it("keeps nanoseconds and honours offsets", () => {
    assert.equal(rfc3339Nanos("1970-01-01T00:00:01.000000002Z"), 1_000_000_002n);
    assert.equal(rfc3339Nanos("1970-01-01T01:00:00+01:00"), 0n);
    assert.equal(rfc3339Nanos("2100-01-01T00:00:00Z") > 4_102_444_799_000_000_000n, true);
  });

  it("gives 0 for empty or malformed times", () => {
    assert.equal(rfc3339Nanos(""), 0n);
    assert.equal(rfc3339Nanos("yesterday"), 0n);
  });
});
