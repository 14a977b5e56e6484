import type { ImageService } from "../service/types.ts";
import type { ImagesServiceServer } from "./gen/images.ts";
import { unaryHandler } from "./grpc-handlers.ts";
import { servePull } from "./pull-stream.ts";
import { servePush } from "./push-stream.ts";
import type { DaemonLogger } from "./types.ts";
import { filtersFromWire, summariesToJson, summaryToRows } from "./wire-images.ts";
import { historyToWire, pruneToWire } from "./wire-maintenance.ts";

const NONE = new Uint8Array(0);

/**
 * iSulad's `images.ImagesService` over `service` (reference §2.2): each unary RPC answers OK
 * with `cc`/`errmsg` on failure (the kind in trailing metadata, see `grpc-errors.ts`);
 * `PullImage` streams progress. Every request is logged at debug, never a password.
 */
export function imagesApi(service: ImageService, log: DaemonLogger): ImagesServiceServer {
  const failed = (cc: number, errmsg: string) => ({ cc, errmsg });
  return {
    list: unaryHandler(log, "List", {
      describe: (req) => `filters=${JSON.stringify(req.filters)}`,
      run: async (req) => {
        const summaries = await service.list({ filters: filtersFromWire(req) });
        // Our own client asks for JSON (issue #4); iSulad's gets a row per name.
        if (req.wantSummariesJson) {
          return { images: [], cc: 0, errmsg: "", summariesJson: summariesToJson(summaries) };
        }
        return { images: summaries.flatMap(summaryToRows), cc: 0, errmsg: "", summariesJson: NONE };
      },
      failed: (cc, errmsg) => ({ images: [], cc, errmsg, summariesJson: NONE }),
    }),
    delete: unaryHandler(log, "Delete", {
      describe: (req) => `name=${req.name} force=${req.force}`,
      run: async (req) => {
        const r = await service.remove({ name: req.name, force: req.force });
        return { name: req.name, cc: 0, errmsg: "", action: r.action, id: r.id };
      },
      failed: (cc, errmsg) => ({ name: "", cc, errmsg, action: "", id: "" }),
    }),
    load: unaryHandler(log, "Load", {
      describe: (req) => `file=${req.file} type=${req.type} tag=${req.tag}`,
      run: async (req, signal) => {
        const r = await service.load({
          file: req.file,
          ...(req.tag ? { tag: req.tag } : {}),
          type: req.type === "embedded" ? "embedded" : "docker",
          signal,
        });
        return { cc: 0, errmsg: "", images: r.images };
      },
      failed: (cc, errmsg) => ({ cc, errmsg, images: [] }),
    }),
    inspect: unaryHandler(log, "Inspect", {
      describe: (req) => `id=${req.id}`,
      run: async (req) => {
        const doc = await service.inspect(req.id);
        return { ImageJSON: JSON.stringify(doc), cc: 0, errmsg: "" };
      },
      failed: (cc, errmsg) => ({ ImageJSON: "", cc, errmsg }),
    }),
    login: unaryHandler(log, "Login", {
      // Never the password; the user name is not a secret.
      describe: (req) => `server=${req.server} username=${req.username}`,
      run: async (req) => {
        await service.login({ server: req.server, username: req.username, password: req.password });
        return { cc: 0, errmsg: "" };
      },
      failed,
    }),
    logout: unaryHandler(log, "Logout", {
      describe: (req) => `server=${req.server}`,
      run: async (req) => {
        await service.logout({ server: req.server });
        return { cc: 0, errmsg: "" };
      },
      failed,
    }),
    tag: unaryHandler(log, "Tag", {
      describe: (req) => `src=${req.srcName} dest=${req.destName}`,
      run: async (req) => {
        await service.tag(req.srcName, req.destName);
        return { cc: 0, errmsg: "" };
      },
      failed,
    }),
    save: unaryHandler(log, "Save", {
      describe: (req) => `names=${req.names.join(",")} output=${req.output}`,
      run: async (req, signal) => {
        await service.save({ names: req.names, output: req.output, signal });
        return { cc: 0, errmsg: "" };
      },
      failed,
    }),
    pullImage: (call) => servePull(service, log, call),
    push: (call) => servePush(service, log, call),
    search: unaryHandler(log, "Search", {
      describe: (req) => `term=${req.searchName} limit=${req.limit}`,
      run: async (req, signal) => {
        const results = await service.search({
          term: req.searchName,
          limit: req.limit,
          filters: filtersFromWire(req),
          signal,
        });
        return {
          resultNum: results.length,
          searchResult: results.map((r) => ({ ...r, starCount: BigInt(r.starCount) })),
          cc: 0,
          errmsg: "",
        };
      },
      failed: (cc, errmsg) => ({ resultNum: 0, searchResult: [], cc, errmsg }),
    }),
    history: unaryHandler(log, "History", {
      describe: (req) => `name=${req.name}`,
      run: async (req) => {
        const items = await service.history(req.name);
        return { cc: 0, errmsg: "", items: historyToWire(items) };
      },
      failed: (cc, errmsg) => ({ cc, errmsg, items: [] }),
    }),
    prune: unaryHandler(log, "Prune", {
      describe: (req) => `all=${req.all}`,
      run: async (req) => {
        const r = await service.prune({ all: req.all });
        return { cc: 0, errmsg: "", ...pruneToWire(r) };
      },
      failed: (cc, errmsg) => ({ cc, errmsg, items: [], reclaimed: 0n }),
    }),
    import: unaryHandler(log, "Import", {
      describe: (req) => `file=${req.file} name=${req.name}`,
      run: async (req, signal) => {
        const name = req.name === "" ? undefined : req.name;
        const r = await service.importImage({ file: req.file, ...(name ? { name } : {}), signal });
        return { cc: 0, errmsg: "", id: r.id };
      },
      failed: (cc, errmsg) => ({ cc, errmsg, id: "" }),
    }),
  };
}
