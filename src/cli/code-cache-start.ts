/**
 * `dist/isula-start.cjs`, what `bin/isula` runs: starts the CommonJS bundle `isula.cjs` beside
 * it with V8's code cache, so that `isula images` spends no time parsing and compiling what an
 * earlier run already compiled (issue #4). Node 22 has `module.enableCompileCache()`; Node 20
 * has only `vm.Script`'s `cachedData`, which this uses:
 *
 * - the bundle is compiled as Node's CommonJS loader would (the same wrapper function) with the
 *   bytes of `isula.cjs.v8cache` when they were made from this very file: the cache starts with
 *   a line naming the bundle's size, modification time and the Node version (V8's own check
 *   compares only the source's length, so a rebuilt bundle of the same length would otherwise
 *   run stale code);
 * - when there were none, or V8 rejected them (another Node version, other V8 flags, a rebuilt
 *   bundle), the process writes fresh ones at exit: to a temp name, then renamed, so concurrent
 *   runs never read a half-written file. A folder we may not write to just means no cache.
 *
 * `npm run build` runs one `isula images` on an empty temp store so that the cache exists
 * before the first real run (scripts/build.mjs).
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, wrap } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";

const bundle = join(__dirname, "isula.cjs");
const cacheFile = `${bundle}.v8cache`;

/** What the cache was made from; a cache with another key is not used. */
function cacheKey(): string {
  const st = statSync(bundle);
  return `isula-v8cache 1 ${st.size} ${st.mtimeMs} ${process.version} ${process.arch}\n`;
}

/** The cached code for `key`, if the cache file holds it. */
function readCache(key: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const head = Buffer.byteLength(key);
  return bytes.length > head && bytes.toString("latin1", 0, head) === key
    ? bytes.subarray(head)
    : undefined;
}

/** Writes the code compiled so far as the new cache; any failure leaves things as they were. */
function writeCache(script: Script, key: string): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([Buffer.from(key, "latin1"), script.createCachedData()]));
    renameSync(temp, cacheFile);
  } catch {
    rmSync(temp, { force: true });
  }
}

const key = cacheKey();
const cachedData = readCache(key);
// The bundle is ASCII (esbuild escapes the rest): latin1 skips UTF-8 decoding.
const script = new Script(wrap(readFileSync(bundle, "latin1")), { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected === true) {
  process.once("exit", () => writeCache(script, key));
}
const module = { exports: {}, filename: bundle, id: bundle, loaded: false };
const run = script.runInThisContext() as (...args: unknown[]) => void;
run.call(module.exports, module.exports, createRequire(bundle), module, bundle, __dirname);
