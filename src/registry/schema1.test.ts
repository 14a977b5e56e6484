import assert from "node:assert/strict";
import { test } from "node:test";
import { sha256Digest } from "../digest/digest.ts";
import {
  parseSchema1,
  schema1PayloadDigest,
  synthesiseConfig,
  synthesiseManifest,
} from "./schema1.ts";

const L1 = sha256Digest("layer one");
const L2 = sha256Digest("layer two");
const D1 = sha256Digest("diff one");
const D2 = sha256Digest("diff two");

function manifest(): Buffer {
  const v1 = (o: object) => ({ v1Compatibility: JSON.stringify(o) });
  return Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 1,
        name: "a/b",
        tag: "1",
        architecture: "amd64",
        // Top first, as schema1 lists them.
        fsLayers: [{ blobSum: L2 }, { blobSum: L1 }, { blobSum: L1 }],
        history: [
          v1({
            id: "top",
            parent: "mid",
            created: "2020-01-03T00:00:00Z",
            os: "linux",
            architecture: "amd64",
            config: { Cmd: ["/bin/sh"] },
            container_config: { Cmd: ["/bin/sh", "-c", "echo two"] },
            Size: 10,
          }),
          v1({
            id: "mid",
            parent: "base",
            created: "2020-01-02T00:00:00Z",
            throwaway: true,
            container_config: { Cmd: ["/bin/sh", "-c", "#(nop) ENV A=1"] },
          }),
          v1({
            id: "base",
            created: "2020-01-01T00:00:00Z",
            author: "me",
            container_config: { Cmd: ["ADD", "x"] },
          }),
        ],
      },
      null,
      3,
    ),
  );
}

test("parseSchema1 reverses layers and skips throwaway entries", () => {
  const img = parseSchema1(manifest(), "a/b:1");
  assert.deepEqual(img.layers, [L1, L2]);
  assert.equal(img.history.length, 3);
  assert.equal(img.history[0]?.id, "base");
});

test("synthesiseConfig drops v1 fields and rebuilds rootfs and history", () => {
  const config = JSON.parse(synthesiseConfig(parseSchema1(manifest(), "x"), [D1, D2]).toString());
  assert.equal(config.id, undefined);
  assert.equal(config.parent, undefined);
  assert.equal(config.Size, undefined);
  assert.equal(config.os, "linux");
  assert.deepEqual(config.config, { Cmd: ["/bin/sh"] });
  assert.deepEqual(config.rootfs, { type: "layers", diff_ids: [D1, D2] });
  assert.deepEqual(config.history, [
    { created: "2020-01-01T00:00:00Z", author: "me", created_by: "ADD x" },
    { created: "2020-01-02T00:00:00Z", created_by: "/bin/sh -c #(nop) ENV A=1", empty_layer: true },
    { created: "2020-01-03T00:00:00Z", created_by: "/bin/sh -c echo two" },
  ]);
});

test("synthesiseManifest points at the config by digest", () => {
  const config = Buffer.from("{}");
  const m = JSON.parse(
    synthesiseManifest(config, [{ mediaType: "x", digest: L1, size: 3 }]).toString(),
  );
  assert.equal(m.config.digest, sha256Digest(config));
  assert.deepEqual(m.layers, [{ mediaType: "x", digest: L1, size: 3 }]);
});

test("parseSchema1 rejects mismatched fsLayers and history", () => {
  const bad = Buffer.from(
    JSON.stringify({ schemaVersion: 1, fsLayers: [{ blobSum: L1 }], history: [] }),
  );
  assert.throws(() => parseSchema1(bad, "x"), { kind: "InvalidArgument" });
});

test("schema1PayloadDigest hashes a signed manifest without its signatures", () => {
  const payload = manifest();
  // A JWS "pretty" signature: formatLength bytes of the payload, then formatTail.
  const cut = payload.lastIndexOf("\n}");
  const tail = payload.subarray(cut);
  const prot = Buffer.from(
    JSON.stringify({ formatLength: cut, formatTail: tail.toString("base64url") }),
  ).toString("base64url");
  const signed = Buffer.concat([
    payload.subarray(0, cut),
    Buffer.from(`,\n   "signatures": [{"protected": "${prot}", "signature": "x"}]`),
    tail,
  ]);
  assert.equal(schema1PayloadDigest(signed), sha256Digest(payload));
  assert.equal(schema1PayloadDigest(payload), sha256Digest(payload));
});
