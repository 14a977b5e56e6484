import { imageError } from "../../errors.ts";
import type {
  HistoryItem,
  ImageService,
  ImageSummary,
  ImportRequest,
  ListRequest,
  LoadRequest,
  LoginRequest,
  LogoutRequest,
  PruneRequest,
  PruneResult,
  PullProgress,
  PullRequest,
  PushProgress,
  PushRequest,
  RemoveRequest,
  SaveRequest,
  SearchRequest,
  SearchResult,
} from "../../service/types.ts";
import { findCommand } from "../commands.ts";
import { bufferOutput, type CommandContext } from "../output.ts";
import { parseArgs } from "../parser.ts";
import type { Terminal } from "../terminal.ts";

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
  /** Progress events `pull` sends, in order, before it returns. */
  pullProgress: PullProgress[] = [];
  /** What `pull` returns: by default the name as given with `:latest` and a fixed ID. */
  pullResult?: { name: string; id: string };

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
  async pull(req: PullRequest) {
    this.enter("pull", [{ ...req }]);
    for (const p of this.pullProgress) req.onProgress?.(p);
    const name = req.name.includes(":") ? req.name : `${req.name}:latest`;
    return this.pullResult ?? { name, id: "f".repeat(64) };
  }
  async login(req: LoginRequest) {
    this.enter("login", [{ ...req }]);
  }
  async logout(req: LogoutRequest) {
    this.enter("logout", [{ ...req }]);
  }
  /** Progress events `push` sends, in order, before it returns. */
  pushProgress: PushProgress[] = [];
  /** What `search` returns. */
  searchResults: SearchResult[] = [];
  async push(req: PushRequest) {
    this.enter("push", [{ ...req }]);
    for (const p of this.pushProgress) req.onProgress?.(p);
    const name = req.name.includes(":") ? req.name : `${req.name}:latest`;
    const digest = `sha256:${"d".repeat(64)}` as const;
    return { name, reference: name.slice(name.lastIndexOf(":") + 1), digest, size: 528 };
  }
  async search(req: SearchRequest) {
    this.enter("search", [{ ...req }]);
    return this.searchResults;
  }
  /** What `history` returns for any name not in `missing`. */
  historyItems: HistoryItem[] = [];
  /** What `prune` returns. */
  pruneResult: PruneResult = { items: [], reclaimed: 0 };
  async history(name: string) {
    this.enter("history", [name], name);
    return this.historyItems;
  }
  async prune(req: PruneRequest) {
    this.enter("prune", [{ ...req }]);
    return this.pruneResult;
  }
  async importImage(req: ImportRequest) {
    this.enter("importImage", [{ ...req }]);
    return { id: "e".repeat(64) };
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
  terminal?: Terminal,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const spec = findCommand(command);
  if (!spec) throw new Error(`no command ${command}`);
  const io = bufferOutput();
  const ctx: CommandContext & { terminal?: Terminal } = {
    service,
    io,
    cwd,
    debug: false,
    ...(terminal ? { terminal } : {}),
  };
  const code = await (await spec.handler())(parseArgs(spec.options, argv), ctx);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/**
 * A terminal for handler tests: TTY flags and width as given, stdin from `stdin` (`readAll`) or
 * `lines` (one per `readLine`), and a record of each `readLine`'s echo flag.
 */
export class FakeTerminal implements Terminal {
  stdoutIsTTY = false;
  stdinIsTTY = false;
  width = 120;
  stdin = "";
  lines: string[] = [];
  reads: { echo: boolean }[] = [];

  constructor(
    init: Partial<
      Pick<FakeTerminal, "stdoutIsTTY" | "stdinIsTTY" | "width" | "stdin" | "lines">
    > = {},
  ) {
    Object.assign(this, init);
  }

  columns(): number {
    return this.width;
  }
  async readAll(max: number): Promise<string> {
    return this.stdin.slice(0, max);
  }
  async readLine(opts: { echo: boolean; max: number }): Promise<string> {
    this.reads.push({ echo: opts.echo });
    return (this.lines.shift() ?? "").slice(0, opts.max);
  }
  onInterrupt(): () => void {
    return () => undefined;
  }
}
