import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { snapshotStore } from "../../test/helpers/store-snapshot.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage } from "../image/testing/fixtures.ts";
import { listEmbeddedImages } from "./embedded-store.ts";
import { loadEmbeddedImage } from "./load-embedded.ts";
import { MSG } from "./messages.ts";
import {
  dirLayer,
  type ManifestDoc,
  makeImageDir,
  sha256Of,
  squashfsLayer,
  writeManifest,
} from "./testing/fixtures.ts";

interface Ctx {
  dir: string;
  /** A fresh copy of the valid manifest document. */
  doc(): ManifestDoc;
  /** Writes a manifest (and its .sgn) under a name of its own; returns its path. */
  write(doc: ManifestDoc | string, opts?: { sgn?: string | false }): string;
  /** The valid manifest with layer `i` changed. */
  layer(i: number, change: Record<string, unknown>): string;
}

type Case = [title: string, message: string, setup: (c: Ctx) => string];

const FAKE_HEX = "7a7eb18fd0a7b9ac0cdae8c9754ff846d65a4831b9ad8786d943618b497bd886";

/** isulad-behaviour §7.1, one row per rule (and per way of breaking it). */
const CASES: Case[] = [
  ["a missing manifest", MSG.manifestNotFound, (c) => join(c.dir, "nothing.manifest")],
  ["a manifest that is a device", MSG.manifestNotRegular, () => "/dev/zero"],
  ["no .sgn file", MSG.signatureMissing, (c) => c.write(c.doc(), { sgn: false })],
  [
    "a .sgn with a trailing newline",
    MSG.invalidDigest,
    (c) => {
      const text = `${JSON.stringify(c.doc())}\n`;
      return c.write(text, { sgn: `${sha256Of(Buffer.from(text))}\n` });
    },
  ],
  [
    "a .sgn of other bytes",
    MSG.invalidDigest,
    (c) => c.write(c.doc(), { sgn: `sha256:${FAKE_HEX}` }),
  ],
  [
    "a .sgn in upper case",
    MSG.invalidDigest,
    (c) => {
      const text = JSON.stringify(c.doc());
      return c.write(text, { sgn: `sha256:${sha256Of(Buffer.from(text)).slice(7).toUpperCase()}` });
    },
  ],
  [
    "a .sgn that is a directory",
    MSG.invalidDigest,
    (c) => {
      const file = c.write(c.doc(), { sgn: false });
      mkdirSync(file.replace(/\.manifest$/, ".sgn"));
      return file;
    },
  ],
  ["an empty manifest", MSG.parseFailed, (c) => c.write("")],
  ["a manifest that is not JSON", MSG.parseFailed, (c) => c.write("{schemaVersion: 1")],
  ["a JSON array", MSG.parseFailed, (c) => c.write("[]")],
  [
    "schemaVersion as a string",
    MSG.parseFailed,
    (c) => c.write({ ...c.doc(), schemaVersion: "1" }),
  ],
  ["config.ENV not strings", MSG.parseFailed, (c) => c.write({ ...c.doc(), config: { ENV: [1] } })],
  [
    "config.ENTRYPOINT a string",
    MSG.parseFailed,
    (c) => c.write({ ...c.doc(), config: { ENTRYPOINT: "sh" } }),
  ],
  [
    "config.WORKDIR a number",
    MSG.parseFailed,
    (c) => c.write({ ...c.doc(), config: { WORKDIR: 1 } }),
  ],
  ["a layer size that is not an integer", MSG.parseFailed, (c) => c.layer(1, { size: 1.5 })],
  ["no layers", MSG.layerCount, (c) => c.write({ ...c.doc(), layers: [] })],
  [
    "126 layers",
    MSG.layerCount,
    (c) => {
      const layers = [
        dirLayer("/", ""),
        ...Array.from({ length: 125 }, () => dirLayer("conf", "/c")),
      ];
      return c.write({ ...c.doc(), layers });
    },
  ],
  ["schemaVersion 2", MSG.schemaVersion, (c) => c.write({ ...c.doc(), schemaVersion: 2 })],
  ["no schemaVersion", MSG.schemaVersion, (c) => c.write({ ...c.doc(), schemaVersion: undefined })],
  [
    "a docker media type",
    MSG.mediaType,
    (c) => c.write({ ...c.doc(), mediaType: "application/json" }),
  ],
  ["no imageName", MSG.nameMissing, (c) => c.write({ ...c.doc(), imageName: undefined })],
  ["imageName none", MSG.nameReserved, (c) => c.write({ ...c.doc(), imageName: "none" })],
  [
    "imageName none:latest",
    MSG.nameReserved,
    (c) => c.write({ ...c.doc(), imageName: "none:latest" }),
  ],
  ["imageName without a tag", MSG.nameInvalid, (c) => c.write({ ...c.doc(), imageName: "test" })],
  ["imageName k~k", MSG.nameInvalid, (c) => c.write({ ...c.doc(), imageName: "k~k" })],
  [
    "imageName in upper case",
    MSG.nameInvalid,
    (c) => c.write({ ...c.doc(), imageName: "Test:v1" }),
  ],
  [
    "imageName with a digest",
    MSG.nameInvalid,
    (c) => c.write({ ...c.doc(), imageName: `test:v1@sha256:${FAKE_HEX}` }),
  ],
  [
    "imageName too long",
    MSG.nameInvalid,
    (c) => c.write({ ...c.doc(), imageName: `${"a".repeat(250)}:v1234` }),
  ],
  [
    "created with trailing text",
    MSG.created,
    (c) => c.write({ ...c.doc(), created: "2018-03-01T15:55:44.322987811Zabc#$@" }),
  ],
  ["no created", MSG.created, (c) => c.write({ ...c.doc(), created: undefined })],
  [
    "created in month 13",
    MSG.created,
    (c) => c.write({ ...c.doc(), created: "2018-13-01T00:00:00Z" }),
  ],
  ["a negative layer size", MSG.layerSize, (c) => c.layer(2, { size: -1 })],
  [
    "an OCI layer media type",
    MSG.layerMediaType,
    (c) => c.layer(1, { mediaType: "application/vnd.oci.image.layer.v1.tar" }),
  ],
  ["layer 0 relative", MSG.firstAbsolute, (c) => c.layer(0, { pathInHost: "dev/loop0" })],
  ["layer 0 with no path", MSG.firstAbsolute, (c) => c.layer(0, { pathInHost: undefined })],
  ["layer 0 dir other than /", MSG.firstRoot, (c) => c.layer(0, { pathInHost: "/home" })],
  [
    "layer 0 squashfs on a directory",
    MSG.notBlockDevice,
    (c) => c.layer(0, squashfsLayer("/home", "")),
  ],
  [
    "layer 0 squashfs on a regular file",
    MSG.notBlockDevice,
    (c) => c.layer(0, squashfsLayer(join(c.dir, "app.img"), "")),
  ],
  [
    "layer 0 squashfs missing",
    MSG.layerMissing,
    (c) => c.layer(0, squashfsLayer("/dev/no-such-device", "")),
  ],
  ["layer 1 absolute", MSG.otherRelative, (c) => c.layer(2, { pathInHost: "/platform.img" })],
  ["layer 1 with an empty path", MSG.otherRelative, (c) => c.layer(2, { pathInHost: "" })],
  ["layer 1 missing", MSG.layerMissing, (c) => c.layer(1, { pathInHost: "kkk" })],
  [
    "layer 1 escaping with ..",
    MSG.layerMissing,
    (c) => {
      writeFileSync(join(c.dir, "..", "outside.img"), "hsqs outside");
      return c.layer(2, { pathInHost: "../outside.img" });
    },
  ],
  [
    "layer 1 escaping through a symlink",
    MSG.layerMissing,
    (c) => {
      symlinkSync("/etc/hostname", join(c.dir, "escape.img"));
      return c.layer(2, { pathInHost: "escape.img" });
    },
  ],
  [
    "a squashfs layer that is a directory",
    MSG.notRegular,
    (c) => {
      mkdirSync(join(c.dir, "notfile"));
      return c.layer(2, { pathInHost: "notfile" });
    },
  ],
  ["a dir layer that is a file", MSG.notDirectory, (c) => c.layer(3, { pathInHost: "app.img" })],
  [
    "a squashfs layer without the magic",
    MSG.notSquashfs,
    (c) => {
      writeFileSync(join(c.dir, "plain.img"), "not a squashfs image\n");
      return c.layer(2, { pathInHost: "plain.img" });
    },
  ],
  ["layer 0 with a digest", MSG.firstDigest, (c) => c.layer(0, { digest: `sha256:${FAKE_HEX}` })],
  ["a dir layer with a digest", MSG.dirDigest, (c) => c.layer(3, { digest: `sha256:${FAKE_HEX}` })],
  ["a malformed digest", MSG.layerDigest, (c) => c.layer(1, { digest: "sha256:1234" })],
  [
    "a sha512 digest",
    MSG.layerDigest,
    (c) => c.layer(1, { digest: `sha512:${FAKE_HEX}${FAKE_HEX}` }),
  ],
  ["a digest of other bytes", MSG.layerDigest, (c) => c.layer(1, { digest: `sha256:${FAKE_HEX}` })],
  [
    "layer 0 with a container path",
    MSG.firstContainerPath,
    (c) => c.layer(0, { pathInContainer: "/" }),
  ],
  [
    "layer 1 with a relative container path",
    MSG.otherContainerPath,
    (c) => c.layer(1, { pathInContainer: "home/home" }),
  ],
  [
    "layer 1 with no container path",
    MSG.otherContainerPath,
    (c) => c.layer(1, { pathInContainer: undefined }),
  ],
  [
    "a stored name with another manifest",
    MSG.nameConflict,
    (c) => c.write({ ...c.doc(), imageName: "base:v1", created: "2020-01-01T00:00:00Z" }),
  ],
  [
    "a name an OCI image holds",
    `${MSG.nameConflict}: "busybox:latest" is the name of a docker image`,
    (c) => c.write({ ...c.doc(), imageName: "docker.io/library/busybox:latest" }),
  ],
];

describe("loadEmbeddedImage refuses every broken rule with iSulad's message", () => {
  let root: string;
  let store: ImageStore;
  let ctx: Ctx;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "embedded-matrix-"));
    const { dir, doc } = makeImageDir(root);
    let n = 0;
    const write: Ctx["write"] = (d, opts = {}) =>
      writeManifest(dir, d, { base: `case${n++}`, ...opts });
    ctx = {
      dir,
      doc: () => structuredClone(doc),
      write,
      layer: (i, change) => {
        const d = structuredClone(doc);
        const layers = d.layers as Record<string, unknown>[];
        layers[i] = { ...layers[i], ...change };
        return write(d);
      },
    };
    mkdirSync(join(root, "graph"));
    store = ImageStore.open({ graph: join(root, "graph") });
    commitFake(store, fakeImage(fakeChain(["base"])), ["busybox:latest"]);
    await loadEmbeddedImage({ store, file: write({ ...doc, imageName: "base:v1" }) });
  });

  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const snapshot = () => ({ ...snapshotStore(store), embedded: listEmbeddedImages(store) });

  for (const [title, message, setup] of CASES) {
    it(`refuses ${title}`, async () => {
      const file = setup(ctx);
      const before = snapshot();
      await assert.rejects(loadEmbeddedImage({ store, file }), (err: unknown) => {
        assert.ok(err instanceof ImageError, String(err));
        assert.equal(err.message, message);
        return true;
      });
      assert.deepEqual(snapshot(), before);
    });
  }

  it("has a case for each of iSulad's load messages", () => {
    const covered = new Set(CASES.map(([, message]) => message));
    for (const message of Object.values(MSG)) assert.ok(covered.has(message), message);
  });
});
