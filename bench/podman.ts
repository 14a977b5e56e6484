/**
 * podman peers: `podman load` and `podman pull` into a fresh store per trial, with the store and
 * its temp folder inside the trial folder and a given storage driver (`vfs` or `overlay`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Peer, requireTools, unmountUnder } from "./peers.ts";

/** The podman arguments that keep its store inside `dir` and its run state in `runroot`. */
export function podmanStore(dir: string, runroot: string, driver: string): string[] {
  const root = join(dir, "root");
  const tmp = join(dir, "tmp");
  return [
    "podman",
    "--root",
    root,
    "--runroot",
    runroot,
    "--tmpdir",
    tmp,
    "--storage-driver",
    driver,
  ];
}

/**
 * `podman <args...>` on a fresh store with the given storage driver; `id` and `label` name the
 * peer in the report.
 */
export function podmanPeer(id: string, label: string, driver: string, args: string[]): Peer {
  return {
    id,
    label,
    role: "peer",
    check: () => requireTools("podman"),
    prepare: async (dir) => {
      // The overlay driver refuses a runroot longer than 50 characters; it only holds locks and
      // mount state, so a short folder under /tmp does not change what is measured.
      const runroot = await mkdtemp(join(tmpdir(), "ibr-"));
      return {
        argv: [...podmanStore(dir, runroot, driver), ...args],
        // podman's overlay driver leaves its storage folder bind-mounted on itself.
        release: async () => {
          await unmountUnder(dir);
          await unmountUnder(runroot);
          await rm(runroot, { recursive: true, force: true });
        },
      };
    },
  };
}

/** `podman load -i <archive>` into a fresh store with the given storage driver. */
export function podmanLoad(archive: string, driver: "vfs" | "overlay"): Peer {
  return podmanPeer(`podman-${driver}`, `podman load (${driver})`, driver, ["load", "-i", archive]);
}
