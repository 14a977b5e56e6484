import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { writeArchive } from "../../test/helpers/archive-writer.ts";
import { sampleImage } from "../../test/helpers/image-builder.ts";
import { listTree } from "../../test/helpers/store-snapshot.ts";
import { ImageStore } from "../image/image-store.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = join(repo, "test", "helpers", "load-archive-process.ts");
const root = mkdtempSync(join(tmpdir(), "concurrent-load-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

for (const compression of ["none", "gzip"] as const) {
  test(`two processes loading the same ${compression} archive into one store both succeed`, async () => {
    const image = await sampleImage("gzip", `concurrent-${compression}`);
    const file = join(root, `same-${compression}.tar`);
    await writeArchive(file, [{ image, repoTags: ["same:1"] }], { shape: "docker25", compression });
    const graph = join(root, `graph-${compression}`);
    ImageStore.open({ graph }).close(); // create the store once, so both start from the same state

    const load = () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", script, graph, file], {
        cwd: repo,
      });
    const outputs = await Promise.all([load(), load(), load()]);
    for (const { stdout } of outputs) {
      assert.deepEqual(JSON.parse(stdout).images, [{ id: image.id, names: ["same:1"] }]);
    }
    const store = ImageStore.open({ graph });
    assert.equal(store.listImages().length, 1);
    assert.equal(store.listLayers().length, 2);
    assert.deepEqual(listTree(join(store.root, "ingest")), []);
    store.close();
  });
}
