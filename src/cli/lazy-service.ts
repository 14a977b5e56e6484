import type { ImageService } from "../service/types.ts";
import { ConnectError } from "./output.ts";

/** An `ImageService` that opens the real one on first use; `opened` says whether it did. */
export interface LazyService extends ImageService {
  readonly opened: boolean;
}

/**
 * Wraps `open` so that a command's argument checks run before the store or the daemon is
 * touched, as in iSulad, where the client connects only to send a request. The service is
 * opened once, even by concurrent first calls. A failure to open becomes a `ConnectError`
 * (printed bare: it is the client's own problem, not a daemon's answer). `close` closes only
 * what was opened; the caller closes.
 */
export function lazyService(open: () => Promise<ImageService>): LazyService {
  let pending: Promise<ImageService> | undefined;
  const get = () => {
    pending ??= open().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new ConnectError(message, { cause: err });
    });
    return pending;
  };

  return {
    get opened() {
      return pending !== undefined;
    },
    load: async (req) => (await get()).load(req),
    list: async (req) => (await get()).list(req),
    inspect: async (name) => (await get()).inspect(name),
    remove: async (req) => (await get()).remove(req),
    tag: async (source, target) => (await get()).tag(source, target),
    save: async (req) => (await get()).save(req),
    pull: async (req) => (await get()).pull(req),
    login: async (req) => (await get()).login(req),
    logout: async (req) => (await get()).logout(req),
    push: async (req) => (await get()).push(req),
    search: async (req) => (await get()).search(req),
    history: async (name) => (await get()).history(name),
    prune: async (req) => (await get()).prune(req),
    importImage: async (req) => (await get()).importImage(req),
    async close() {
      if (pending === undefined) return;
      const service = await pending.catch(() => undefined);
      await service?.close();
    },
  };
}
