import { imageError } from "../errors.ts";
import type { StoreContext } from "./store-context.ts";

/**
 * Refuses to give an OCI image a name that an embedded image holds (issue #5): iSulad keeps the
 * two kinds apart and lets the OCI one shadow the other; we make it an error instead. Call it
 * inside the write transaction that puts the name. Throws `AlreadyExists`.
 */
export function assertNotEmbeddedName(ctx: StoreContext, name: string): void {
  if (ctx.db.embedded.get(name) === undefined) return;
  throw imageError("AlreadyExists", `image name "${name}" is held by an embedded image`);
}
