import type { PushProgress } from "../push/types.ts";
import { progressBar } from "./pull-progress.ts";

/**
 * One layer's line of `isula push` on a terminal, in Docker's words: `Preparing`, `Waiting`,
 * `Pushing` with pull's bar and sizes, then `Pushed`, `Layer already exists`,
 * `Mounted from <repository>` or `Skipped foreign layer`. Drawn in place by `ProgressView`.
 */
export function pushLine(p: PushProgress, columns: number): string {
  switch (p.status) {
    case "preparing":
      return `${p.id}: Preparing`;
    case "waiting":
      return `${p.id}: Waiting`;
    case "pushing":
      return `${p.id}: Pushing ${progressBar(p, columns)}`;
    default:
      return settledLine(p) ?? `${p.id}: ${p.status}`;
  }
}

/** Docker's line for a layer's final state, or undefined while it is still moving. */
export function settledLine(p: PushProgress): string | undefined {
  switch (p.status) {
    case "pushed":
      return `${p.id}: Pushed`;
    case "exists":
      return `${p.id}: Layer already exists`;
    case "mounted":
      return `${p.id}: Mounted from ${p.from ?? ""}`;
    case "skipped":
      return `${p.id}: Skipped foreign layer`;
    default:
      return undefined;
  }
}
