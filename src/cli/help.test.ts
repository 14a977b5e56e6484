import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COMMANDS, findCommand } from "./commands.ts";
import { renderCommandHelp, renderGlobalHelp } from "./help.ts";

describe("renderCommandHelp", () => {
  it("lays out `isula images --help` as iSulad does", () => {
    const spec = findCommand("images");
    assert.ok(spec);
    // iSulad's own options only: the layout is the subject, not our additions (--format, TLS).
    const isulad = ["debug", "filter", "help", "host", "quiet"];
    const options = spec.options.filter((o) => isulad.includes(o.long));
    assert.equal(
      renderCommandHelp({ ...spec, options }),
      [
        "",
        "Usage:  isula images [OPTIONS]",
        "",
        "List images",
        "",
        "  -D, --debug     Enable debug mode",
        "  -f, --filter    Filter output based on conditions provided",
        "      --help      Print usage",
        "  -H, --host      Daemon socket(s) to connect to",
        "  -q, --quiet     Only display image names",
        "",
        "",
      ].join("\n"),
    );
  });

  it("aligns descriptions four columns after the longest option", () => {
    const text = renderCommandHelp({
      usage: "x",
      description: "d",
      options: [
        { long: "password-stdin", kind: "bool", description: "A" },
        { long: "b", short: "b", kind: "bool", description: "B" },
      ],
    });
    assert.match(text, /\n {2}-b, --b {17}B\n {6}--password-stdin {4}A\n\n$/);
  });

  it("sorts options by long name in byte order", () => {
    const text = renderCommandHelp(findCommand("login") ?? assert.fail());
    const names = [...text.matchAll(/^ {2}(?:-., | {4})--([a-z-]+)/gm)].map((m) => m[1]);
    const tls = ["tls", "tlscacert", "tlscert", "tlskey", "tlsverify"];
    assert.deepEqual(names, ["help", "host", "password", "password-stdin", ...tls, "username"]);
  });
});

describe("renderGlobalHelp", () => {
  it("lists every command once, sorted, with its description", () => {
    const text = renderGlobalHelp(COMMANDS);
    assert.match(text, /^USAGE:\n\tisula <command> \[args\.\.\.\]\n\nCOMMANDS:\n/);
    const names = [...text.matchAll(/^\t([a-z]+) *\t/gm)].map((m) => m[1]);
    assert.deepEqual(names, [...COMMANDS.map((c) => c.name)].sort());
    assert.match(text, /\timages \s*\tList images\n/);
  });
});
