import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { ImageError } from "../../errors.ts";
import { removeLayerDirectory } from "../remove-layer.ts";

/** A temporary directory for one test, removed after it; `target` is where a layer goes. */
export interface Sandbox {
  dir: string;
  target: string;
  /** Writes `data` as a file in the sandbox and returns its path. */
  file(name: string, data: Uint8Array): string;
  /** Every path below the sandbox, sorted (to prove nothing was written elsewhere). */
  list(): string[];
}

export function sandbox(t: TestContext, prefix = "layer-test-"): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => removeLayerDirectory(dir));
  return {
    dir,
    target: join(dir, "layer"),
    file(name, data) {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    },
    list: () => (readdirSync(dir, { recursive: true }) as string[]).sort(),
  };
}

/** An `assert.rejects` predicate: an `ImageError` of `kind` whose message matches. */
export function imageErrorLike(kind: string, pattern: RegExp) {
  return (err: unknown) => {
    if (!(err instanceof ImageError)) throw err;
    if (err.kind !== kind || !pattern.test(err.message)) {
      throw new Error(`unexpected ${err.kind}: ${err.message}`);
    }
    return true;
  };
}
