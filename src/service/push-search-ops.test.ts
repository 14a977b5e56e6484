import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeImageDir, writeManifest } from "../embedded/testing/fixtures.ts";
import { ImageStore } from "../image/image-store.ts";
import { LocalImageService } from "./local-service.ts";
import { pushWithRegistry, searchFilter } from "./push-search-ops.ts";
import type { RegistrySettings } from "./registry-ops.ts";

const r = (starCount: number, isOfficial: boolean, isAutomated: boolean) => ({
  name: "n",
  description: "",
  starCount,
  isOfficial,
  isAutomated,
});

describe("searchFilter", () => {
  it("searchFilter keeps results with at least the stars and the flags asked", () => {
    const keep = searchFilter({ stars: ["10"], "is-official": ["true"] });
    assert.equal(keep(r(10, true, false)), true);
    assert.equal(keep(r(9, true, false)), false);
    assert.equal(keep(r(99, false, false)), false);
    const manual = searchFilter({ "is-automated": ["false"] });
    assert.equal(manual(r(0, false, false)), true);
    assert.equal(manual(r(0, false, true)), false);
  });

  it("searchFilter rejects unknown keys and bad values", () => {
    const bad: [Record<string, string[]>, string][] = [
      [{ aa: ["true"] }, "Invalid filter 'aa'"],
      [{ stars: ["-1"] }, "Invalid filter 'stars=-1'"],
      [{ stars: ["ten"] }, "Invalid filter 'stars=ten'"],
      [{ "is-official": ["yes"] }, "Invalid filter 'is-official=yes'"],
    ];
    for (const [filters, message] of bad)
      assert.throws(() => searchFilter(filters), { kind: "InvalidArgument", message });
  });
});

describe("pushWithRegistry checks before any network I/O", () => {
  let root: string;
  let store: ImageStore;
  let loads = 0;
  const settings: RegistrySettings = {
    certsDir: "/nonexistent",
    authDir: "/nonexistent",
    config: { maxConcurrentDownloads: 2 } as RegistrySettings["config"],
    loadRegistry: async () => {
      loads++;
      throw new Error("the registry client must not be loaded");
    },
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "push-checks-"));
    mkdirSync(join(root, "graph"));
    store = ImageStore.open({ graph: join(root, "graph") });
    const made = makeImageDir(root);
    const service = new LocalImageService(store);
    await service.load({ file: writeManifest(made.dir, made.doc), type: "embedded" });
  });
  after(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const cases: [string, string, string][] = [
    [
      "test:v1",
      "FailedPrecondition",
      "Failed to push image test:v1 with error: embedded images cannot be pushed",
    ],
    ["reg:5000/a/b:1", "NotFound", "An image does not exist locally with the tag: reg:5000/a/b:1"],
    ["Bad:Name", "InvalidArgument", "Invalid image name: Bad:Name"],
  ];
  for (const [name, kind, message] of cases) {
    it(`pushWithRegistry refuses "${name}" with ${kind}`, async () => {
      await assert.rejects(pushWithRegistry(store, settings, { name }), { kind, message });
      assert.equal(loads, 0);
    });
  }
});
