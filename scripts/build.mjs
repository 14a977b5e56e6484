// Bundles the CLI (and the layer worker it starts) so that `isula images` starts fast.
// Native addons stay external: they are loaded from node_modules at run time.
import { build } from "esbuild";

const external = ["better-sqlite3", "zstd-napi", "@napi-rs/xattr", "fs-native-extensions"];

await build({
  entryPoints: {
    isula: "src/cli/main.ts",
    "layer-worker": "src/layer/worker.ts",
    isulad: "src/daemon/isulad.ts",
  },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  // Split so that commands load what they use: `isula --help` must not load SQLite.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  external,
  sourcemap: "linked",
  logLevel: "warning",
  banner: {
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
