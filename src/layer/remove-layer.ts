import { chmodSync, readdirSync, rmSync } from "node:fs";

/**
 * Removes an unpacked layer directory and everything in it; no error when it is absent.
 * Unprivileged, a layer's read-only directories (mode 0555 is common) keep their entries, so on
 * EACCES the directories are opened up (owner rwx) and the removal tried once more. Synchronous:
 * meant for the layer worker and for cleanup paths; other errors are thrown as they are.
 */
export function removeLayerDirectory(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EACCES") throw err;
    openUp(path);
    rmSync(path, { recursive: true, force: true });
  }
}

function openUp(dir: string): void {
  chmodSync(dir, 0o700);
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) openUp(`${dir}/${d.name}`);
  }
}
