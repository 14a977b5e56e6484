// Test child: stages a fabricated image, prints {ready, inodes}, commits on "go", prints the result.
// argv: <graph> <json: {contents: string[], seed: string, names: string[]}>
import { statSync } from "node:fs";
import { createInterface } from "node:readline";
import { ImageStore } from "../image-store.ts";
import { fakeChain, fakeImage, stageLayers } from "./fixtures.ts";

const [graph, spec] = process.argv.slice(2) as [string, string];
const { contents, seed, names } = JSON.parse(spec) as {
  contents: string[];
  seed: string;
  names: string[];
};
const store = ImageStore.open({ graph });
const image = fakeImage(fakeChain(contents), { seed });
const lease = store.lease();
const layers = stageLayers(lease, image.layers);
// The inode of each staged layer directory tells the parent whose copy ended up in the store.
const inodes = Object.fromEntries(
  layers.filter((l) => l.tempDir).map((l) => [l.record.id, statSync(l.tempDir ?? "").ino]),
);
process.stdout.write(`${JSON.stringify({ ready: true, inodes })}\n`);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === "go") break;
process.stdin.destroy();
const record = store.commitImage({
  lease,
  layers,
  config: image.config,
  manifest: image.manifest,
  manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
  names,
});
process.stdout.write(`${JSON.stringify({ id: record.id, names: record.names })}\n`);
store.close();
