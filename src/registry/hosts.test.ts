import assert from "node:assert/strict";
import { test } from "node:test";
import { hostForLogin, parseMirror } from "./hosts.ts";

test("hostForLogin keeps the text before the first slash and maps Docker Hub", () => {
  const table: [string, string][] = [
    ["my.registry:5000", "my.registry:5000"],
    ["my.registry:5000/team/app", "my.registry:5000"],
    ["https://my.registry", "my.registry"],
    ["docker.io", "registry-1.docker.io"],
    ["index.docker.io/library", "registry-1.docker.io"],
  ];
  for (const [server, host] of table) assert.equal(hostForLogin(server), host, server);
});

test("parseMirror strips schemes, marks http:// insecure and keeps a path as prefix", () => {
  assert.deepEqual(parseMirror("https://hub.oepkgs.net"), {
    host: "hub.oepkgs.net",
    insecure: false,
    prefix: "",
  });
  assert.deepEqual(parseMirror("http://127.0.0.1:5000/"), {
    host: "127.0.0.1:5000",
    insecure: true,
    prefix: "",
  });
  assert.deepEqual(parseMirror("m.example.com/p"), {
    host: "m.example.com",
    insecure: false,
    prefix: "p",
  });
  assert.deepEqual(parseMirror("docker.io"), {
    host: "registry-1.docker.io",
    insecure: false,
    prefix: "",
  });
});
