import { imageError } from "../../errors.ts";
import type {
  ImageService,
  ImageSummary,
  ListRequest,
  LoadRequest,
  RemoveRequest,
  SaveRequest,
} from "../../service/types.ts";
import { findCommand } from "../commands.ts";
import { bufferOutput, type CommandContext } from "../output.ts";
import { parseArgs } from "../parser.ts";

/** One recorded call to the fake: the method and its arguments. */
export interface Call {
  method: string;
  args: unknown[];
}

/**
 * An in-memory `ImageService` for handler tests: `images` answer `list`, `docs` answer
 * `inspect` by name, names in `missing` fail with `NotFound` (`No such image:<name>`), and
 * `failWith` makes one method throw the given error. Every call is recorded in `calls`.
 */
export class FakeService implements ImageService {
  images: ImageSummary[] = [];
  docs = new Map<string, unknown>();
  missing = new Set<string>();
  failWith = new Map<string, Error>();
  calls: Call[] = [];
  closed = false;

  private enter(method: string, args: unknown[], name?: string): void {
    this.calls.push({ method, args });
    const err = this.failWith.get(method);
    if (err) throw err;
    if (name !== undefined && this.missing.has(name)) {
      throw imageError("NotFound", `No such image:${name}`);
    }
  }

  async load(req: LoadRequest) {
    this.enter("load", [req]);
    return { images: [] };
  }
  async list(req: ListRequest) {
    this.enter("list", [req]);
    return this.images;
  }
  async inspect(name: string) {
    this.enter("inspect", [name], name);
    if (!this.docs.has(name)) throw imageError("NotFound", `No such image:${name}`);
    return this.docs.get(name);
  }
  async remove(req: RemoveRequest) {
    this.enter("remove", [req], req.name);
    return { action: "deleted" as const, id: "0".repeat(64) };
  }
  async tag(source: string, target: string) {
    this.enter("tag", [source, target], source);
  }
  async save(req: SaveRequest) {
    this.enter("save", [req]);
  }
  async close() {
    this.closed = true;
  }
}

/** Runs the handler of `command` with `argv` against `service`; returns code and streams. */
export async function runHandler(
  command: string,
  argv: string[],
  service: ImageService,
  cwd = "/work",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const spec = findCommand(command);
  if (!spec) throw new Error(`no command ${command}`);
  const io = bufferOutput();
  const ctx: CommandContext = { service, io, cwd, debug: false };
  const code = await (await spec.handler())(parseArgs(spec.options, argv), ctx);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
