// Measures ImageStore.open() + listImages() on a store of N images (default 1000).
// Usage: node --import tsx src/image/testing/bench-list.ts <graph> [count]
// Fills the store on first use (shared base layer plus one layer per image), then times.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ImageStore } from "../image-store.ts";
import { commitFake, fakeChain, fakeImage } from "./fixtures.ts";

const [graph = "/tmp/isulad-ts-bench", count = "1000"] = process.argv.slice(2);
if (!existsSync(join(graph, "storage", "metadata.db"))) {
  const store = ImageStore.open({ graph });
  for (let i = 0; i < Number(count); i++) {
    const img = fakeImage(fakeChain(["base", `layer ${i}`]), { seed: String(i) });
    commitFake(store, img, [`bench/app${i % 100}:v${i}`]);
  }
  store.close();
}

const runs: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = process.hrtime.bigint();
  const store = ImageStore.open({ graph });
  const images = store.listImages();
  store.close();
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (images.length !== Number(count)) throw new Error(`expected ${count} images`);
}
runs.sort((a, b) => a - b);
console.log(
  `open+listImages, ${count} images: min ${runs[0]?.toFixed(2)} ms, median ${runs[10]?.toFixed(2)} ms`,
);
