import type { ImageService } from "../service/types.ts";
import type { DaemonLog } from "./log.ts";

/** What each request says about itself in the log: never a password. */
const DESCRIBE: Record<string, (arg: unknown, arg2?: unknown) => string> = {
  load: (r) =>
    `file=${q((r as { file: string }).file)} type=${(r as { type?: string }).type ?? "docker"}`,
  list: (r) => `filters=${JSON.stringify((r as { filters: unknown }).filters)}`,
  inspect: (name) => `name=${q(name as string)}`,
  remove: (r) => `name=${q((r as { name: string }).name)} force=${(r as { force: boolean }).force}`,
  tag: (source, target) => `source=${q(source as string)} target=${q(target as string)}`,
  save: (r) => `names=${JSON.stringify((r as { names: string[] }).names)}`,
  pull: (r) => `name=${q((r as { name: string }).name)}`,
  login: (r) =>
    `server=${q((r as { server: string }).server)} username=${q((r as { username: string }).username)}`,
  logout: (r) => `server=${q((r as { server: string }).server)}`,
};

function q(s: string): string {
  return JSON.stringify(s);
}

/** A service wrapped by {@link trackRequests}. */
export interface TrackedService {
  service: ImageService;
  /** Resolves true once no request is in flight, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean>;
}

/**
 * Wraps a service so that each request is logged at TRACE (the gRPC layer logs each RPC at DEBUG) when it starts and when it ends (with
 * its duration and, on failure, the error message), and counted while in flight so shutdown can
 * wait for it. Arguments are described only for the methods listed above (login: server and
 * user name, never the password); methods added to `ImageService` later are logged by name.
 * `close()` is passed through untracked.
 */
export function trackRequests(service: ImageService, logger: DaemonLog): TrackedService {
  const inFlight = new Set<Promise<unknown>>();
  const proxy = new Proxy(service, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string" || prop === "close") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        const p = logged(logger, prop, () => fn.apply(target, args), args);
        inFlight.add(p);
        const forget = () => inFlight.delete(p);
        p.then(forget, forget);
        return p;
      };
    },
  });
  const settled = async (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.allSettled([...inFlight]).then(() => true as const);
    const done = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return done;
  };
  return { service: proxy, settled };
}

async function logged(
  logger: DaemonLog,
  method: string,
  call: () => Promise<unknown>,
  args: unknown[],
): Promise<unknown> {
  if (!logger.enabled("TRACE")) return call();
  const describe = DESCRIBE[method];
  const started = Date.now();
  logger.log("TRACE", `request ${method} ${describe ? describe(args[0], args[1]) : ""}`.trim());
  try {
    const result = await call();
    logger.log("TRACE", `request ${method} done in ${Date.now() - started} ms`);
    return result;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    logger.log("TRACE", `request ${method} failed in ${Date.now() - started} ms: ${msg}`);
    throw err;
  }
}
