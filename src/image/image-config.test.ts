import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { nowRfc3339Nano, readConfigFacts } from "./image-config.ts";

describe("readConfigFacts", () => {
  it("takes created verbatim, string labels, and rootfs.diff_ids", () => {
    const facts = readConfigFacts(
      Buffer.from(
        JSON.stringify({
          created: "2019-06-15T00:19:54.402459069Z",
          config: { Labels: { a: "1", n: 2 } },
          rootfs: { diff_ids: ["sha256:x"] },
        }),
      ),
    );
    assert.deepEqual(facts, {
      created: "2019-06-15T00:19:54.402459069Z",
      labels: { a: "1" },
      diffIds: ["sha256:x"],
    });
  });

  it("gives empty values for a config without them", () => {
    assert.deepEqual(readConfigFacts(Buffer.from('{"config":{"Labels":null}}')), {
      created: "",
      labels: {},
    });
  });

  it("rejects bytes that are not a JSON object", () => {
    for (const text of ["nope", "[]", "null"]) {
      assert.throws(
        () => readConfigFacts(Buffer.from(text)),
        (err: unknown) => err instanceof ImageError && err.kind === "InvalidArgument",
      );
    }
  });
});

describe("nowRfc3339Nano", () => {
  it("is UTC with nine fraction digits, close to Date.now() and not going backwards", () => {
    const a = nowRfc3339Nano();
    const b = nowRfc3339Nano();
    assert.match(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.ok(a <= b);
    assert.ok(Math.abs(Date.parse(a) - Date.now()) < 1000);
  });
});
