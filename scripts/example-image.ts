// Writes a small example image archive for the README's quick start:
//   node --import tsx scripts/example-image.ts [FILE]   (default: example.tar)
// The image `example/hello:latest` has two gzip layers and is a Docker >=25 style docker-archive.
import { resolve } from "node:path";
import { writeArchive } from "../test/helpers/archive-writer.ts";
import { buildImage, buildLayer } from "../test/helpers/image-builder.ts";

const file = resolve(process.argv[2] ?? "example.tar");
const base = await buildLayer(
  [
    { name: "etc/", type: "dir" },
    { name: "etc/os-release", body: 'NAME="isulad-ts example"\n' },
    { name: "bin/", type: "dir" },
    { name: "bin/hello", body: "#!/bin/sh\necho hello from isulad-ts\n", mode: 0o755 },
  ],
  "gzip",
);
const app = await buildLayer(
  [
    { name: "srv/", type: "dir" },
    { name: "srv/index.html", body: "<p>hello</p>\n" },
    { name: "srv/current", type: "symlink", linkname: "index.html" },
  ],
  "gzip",
);
const image = buildImage({
  layers: [base, app],
  cmd: ["/bin/hello"],
  labels: { "org.opencontainers.image.title": "example" },
});
await writeArchive(file, [{ image, repoTags: ["example/hello:latest"] }], { shape: "docker25" });
console.log(file);
