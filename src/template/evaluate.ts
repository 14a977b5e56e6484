/**
 * Executes a parsed template against one JSON document. Fields use exact, case-sensitive keys
 * and iSulad's array rule: a walk that reaches an array with path elements left uses the first
 * element that resolves the rest of the path. A missing key is an error, never `<no value>`.
 */
import { type Command, executeError, type Node, type Operand, type Pipeline } from "./ast.ts";
import { BUILTINS, isTrue } from "./functions.ts";
import { printPlain, typeName } from "./json-printer.ts";

export interface RenderOptions {
  /**
   * iSulad's form: text nodes are dropped, each output is followed by a newline, and a missing
   * field names the *first* path element, as iSulad's message does.
   */
  readonly isuladForm: boolean;
}

type Vars = Map<string, unknown>;

/** Renders `nodes` with `data` as both `.` and `$`. Throws `InvalidArgument` on failure. */
export function renderNodes(nodes: readonly Node[], data: unknown, options: RenderOptions): string {
  const evaluator = new Evaluator(options.isuladForm);
  evaluator.run(nodes, data, new Map([["$", data]]));
  return evaluator.out;
}

type Walk = { ok: true; value: unknown } | { ok: false; at: number; type?: string };

class Evaluator {
  out = "";
  readonly #isulad: boolean;

  constructor(isulad: boolean) {
    this.#isulad = isulad;
  }

  run(nodes: readonly Node[], dot: unknown, vars: Vars): void {
    for (const node of nodes) {
      switch (node.kind) {
        case "text":
          if (!this.#isulad) this.out += node.text;
          break;
        case "output": {
          const value = this.pipeline(node.pipe, dot, vars);
          if (node.pipe.decl.length === 0)
            this.out += printPlain(value) + (this.#isulad ? "\n" : "");
          break;
        }
        case "range":
          this.#range(node, dot, vars);
          break;
        default: {
          const scope = new Map(vars);
          const value = this.pipeline(node.pipe, dot, scope);
          const next = node.kind === "with" ? value : dot;
          if (isTrue(value)) this.run(node.body, next, scope);
          else this.run(node.otherwise, dot, scope);
        }
      }
    }
  }

  #range(node: Node & { kind: "if" | "with" | "range" }, dot: unknown, vars: Vars): void {
    const value = this.pipeline({ ...node.pipe, decl: [] }, dot, vars);
    let items: [string | number, unknown][];
    if (Array.isArray(value)) items = value.map((v, i) => [i, v]);
    else if (value === null || value === undefined) items = [];
    else if (typeof value === "object") {
      const obj = value as Record<string, unknown>;
      items = Object.keys(obj)
        .sort()
        .map((k) => [k, obj[k]]);
    } else {
      throw executeError(node.pipe.source, `range can't iterate over ${printPlain(value)}`);
    }

    if (items.length === 0) this.run(node.otherwise, dot, new Map(vars));
    const [first, second] = node.pipe.decl;
    for (const [key, item] of items) {
      const scope = new Map(vars);
      if (second !== undefined) scope.set(second, item);
      if (first !== undefined) scope.set(first, second === undefined ? item : key);
      this.run(node.body, item, scope);
    }
  }

  pipeline(pipe: Pipeline, dot: unknown, vars: Vars): unknown {
    let value: unknown;
    pipe.commands.forEach((command, n) => {
      value = this.#command(command, dot, vars, n > 0 ? [value] : []);
    });
    for (const name of pipe.decl) vars.set(name, value);
    return value;
  }

  #command(command: Command, dot: unknown, vars: Vars, piped: unknown[]): unknown {
    const [head, ...rest] = command.args;
    if (head === undefined) return undefined;
    if (head.kind !== "function") return this.#operand(head, dot, vars);
    const args = rest.map((arg) => this.#operand(arg, dot, vars));
    return callFunction(head.name, [...args, ...piped]);
  }

  #operand(op: Operand, dot: unknown, vars: Vars): unknown {
    switch (op.kind) {
      case "literal":
        return op.value;
      case "function":
        return callFunction(op.name, []);
      case "pipeline":
        return this.pipeline(op.pipe, dot, vars);
      case "field":
        return this.#field(op, dot, vars);
    }
  }

  #field(op: Operand & { kind: "field" }, dot: unknown, vars: Vars): unknown {
    if (op.base !== "." && !vars.has(op.base)) {
      throw executeError(op.text, `undefined variable "${op.base}"`);
    }
    const base = op.base === "." ? dot : vars.get(op.base);
    const walk = walkPath(base, op.path, 0);
    if (walk.ok) return walk.value;
    const key = this.#isulad ? op.path[0] : op.path[walk.at];
    if (walk.type !== undefined && !this.#isulad) {
      throw executeError(op.text, `can't evaluate field ${key} in type ${walk.type}`);
    }
    throw executeError(op.text, `map has no entry for key "${key}"`);
  }
}

function callFunction(name: string, args: unknown[]): unknown {
  const fn = BUILTINS.get(name);
  if (fn === undefined) throw executeError(name, `function "${name}" not defined`);
  return fn.call(args);
}

/** Follows `path` from index `i`; at an array, the first element that resolves the rest wins. */
function walkPath(value: unknown, path: readonly string[], i: number): Walk {
  if (i === path.length) return { ok: true, value };
  if (Array.isArray(value)) {
    let deepest: Walk | undefined;
    for (const element of value) {
      const walk = walkPath(element, path, i);
      if (walk.ok) return walk;
      if (deepest === undefined || (!deepest.ok && walk.at > deepest.at)) deepest = walk;
    }
    return deepest ?? { ok: false, at: i };
  }
  const key = path[i] as string;
  if (value !== null && typeof value === "object") {
    if (!Object.hasOwn(value, key)) return { ok: false, at: i };
    return walkPath((value as Record<string, unknown>)[key], path, i + 1);
  }
  return { ok: false, at: i, type: typeName(value) };
}
