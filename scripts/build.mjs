// Bundles the CLI (and the layer worker it starts) so that `isula images` starts fast.
// Native addons stay external: they are loaded from node_modules at run time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// What `bin/isula` runs (issue #4): the CLI as one CommonJS file, started by isula-start.cjs
// with V8's code cache. One file, so no module is resolved or linked at start-up; modules
// the command does not use are never evaluated (esbuild wraps each one lazily), and the code
// cache spares parsing and compiling what an earlier run compiled.
await build({
  entryPoints: { isula: "src/cli/main.ts", "isula-start": "src/cli/code-cache-start.ts" },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // undici (1 MB, two thirds of the bundle) only serves registry commands: it loads from
  // node_modules when one runs, and `isula images` reads a third of the bytes.
  external: [...external, "undici"],
  charset: "ascii",
  sourcemap: "linked",
  logLevel: "warning",
  define: { "import.meta.url": "__isula_module_url" },
  banner: { js: 'var __isula_module_url = require("node:url").pathToFileURL(__filename).href;' },
  // worker-pool.ts reads import.meta.resolve only when it runs from source (tsx).
  logOverride: { "empty-import-meta": "silent" },
});

// Make the code cache now, from `isula images` on an empty store in a temp folder, so that the
// first real run finds it (a run whose Node differs writes its own).
const temp = mkdtempSync(join(tmpdir(), "isula-build-"));
try {
  const config = join(temp, "daemon.json");
  writeFileSync(config, JSON.stringify({ graph: join(temp, "graph"), state: join(temp, "state") }));
  const env = { ...process.env, ISULAD_CONFIG: config, HOME: temp };
  delete env.ISULAD_HOST;
  const run = spawnSync(process.execPath, ["dist/isula-start.cjs", "images"], { env });
  if (run.status !== 0) console.warn(`build: warming the code cache failed: ${run.stderr}`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
