/**
 * Loads one archive into a store in a process of its own, for tests of concurrent loads:
 * `node --import tsx test/helpers/load-archive-process.ts <graph> <archive>`. Prints the result
 * as JSON on success; exits 1 with the error message on failure.
 */
import { loadArchive } from "../../src/archive/load-archive.ts";
import { ImageStore } from "../../src/image/image-store.ts";

const [graph, file] = process.argv.slice(2);
if (!graph || !file) {
  process.stderr.write("usage: load-archive-process.ts <graph> <archive>\n");
  process.exit(2);
}
const store = ImageStore.open({ graph });
try {
  const result = await loadArchive({ store, file });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  store.close();
}
