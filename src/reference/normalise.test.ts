import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import {
  normaliseName,
  normaliseReference,
  type RemoteTarget,
  remoteTarget,
  splitRepoTag,
} from "./normalise.ts";
import { parseReference } from "./parse-reference.ts";

const DIGEST = `sha256:${"7".repeat(64)}`;

describe("normaliseName", () => {
  const rows: [string, string][] = [
    ["busybox", "busybox:latest"],
    ["busybox:1.36", "busybox:1.36"],
    ["library/busybox", "busybox:latest"],
    ["docker.io/library/busybox", "busybox:latest"],
    ["docker.io/busybox", "busybox:latest"],
    ["index.docker.io/library/busybox:1", "busybox:1"],
    ["docker.io/foo/bar", "foo/bar:latest"],
    ["docker.io/library/library/x", "library/x:latest"],
    ["foo/bar:1", "foo/bar:1"],
    ["hub.oepkgs.net/library/busybox", "hub.oepkgs.net/library/busybox:latest"],
    ["localhost:5000/a/b", "localhost:5000/a/b:latest"],
    ["localhost/library/a", "localhost/library/a:latest"],
    ["registry-1.docker.io/library/a", "registry-1.docker.io/library/a:latest"],
    [`hub.oepkgs.net/library/busybox@${DIGEST}`, `hub.oepkgs.net/library/busybox@${DIGEST}`],
    [`busybox:1@${DIGEST}`, `busybox:1@${DIGEST}`],
    [`docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`],
    ["localhost:5000", "localhost:5000"],
  ];
  for (const [input, want] of rows) {
    test(`normaliseName("${input.slice(0, 50)}") is "${want.slice(0, 50)}"`, () => {
      assert.equal(normaliseName(input), want);
    });
  }

  test("normaliseName throws InvalidArgument for an invalid name", () => {
    assert.throws(
      () => normaliseName("Busybox"),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "InvalidArgument" &&
        err.message === 'invalid image name "Busybox": repository name must be lowercase',
    );
  });

  test("normaliseName rejects a digest that is not sha256", () => {
    const input = `a@sha512:${"b".repeat(128)}`;
    assert.throws(
      () => normaliseName(input),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "InvalidArgument" &&
        err.message === `invalid image name "${input}": unsupported digest algorithm "sha512"`,
    );
  });
});

describe("normaliseReference", () => {
  test("normaliseReference returns the parts of the stored name", () => {
    assert.deepEqual(normaliseReference("docker.io/library/busybox"), {
      name: "busybox:latest",
      repository: "busybox",
      tag: "latest",
    });
  });

  test("normaliseReference adds no tag beside a digest", () => {
    assert.deepEqual(normaliseReference(`a/b@${DIGEST}`), {
      name: `a/b@${DIGEST}`,
      repository: "a/b",
      digest: DIGEST,
    });
  });

  test("normaliseReference accepts an already parsed reference", () => {
    assert.equal(normaliseReference(parseReference("index.docker.io/x/y")).name, "x/y:latest");
  });
});

describe("remoteTarget", () => {
  const rows: [string, Omit<RemoteTarget, "reference"> & { reference: string }][] = [
    [
      "busybox",
      {
        host: "docker.io",
        repository: "library/busybox",
        tag: "latest",
        reference: "latest",
        implicitHost: true,
      },
    ],
    [
      "foo/bar:1",
      { host: "docker.io", repository: "foo/bar", tag: "1", reference: "1", implicitHost: true },
    ],
    [
      "docker.io/busybox",
      {
        host: "docker.io",
        repository: "library/busybox",
        tag: "latest",
        reference: "latest",
        implicitHost: false,
      },
    ],
    [
      "index.docker.io/library/busybox:1",
      {
        host: "docker.io",
        repository: "library/busybox",
        tag: "1",
        reference: "1",
        implicitHost: false,
      },
    ],
    [
      "localhost:5000/a/b",
      {
        host: "localhost:5000",
        repository: "a/b",
        tag: "latest",
        reference: "latest",
        implicitHost: false,
      },
    ],
    [
      "localhost/a",
      {
        host: "localhost",
        repository: "a",
        tag: "latest",
        reference: "latest",
        implicitHost: false,
      },
    ],
    [
      `hub.oepkgs.net/library/busybox@${DIGEST}`,
      {
        host: "hub.oepkgs.net",
        repository: "library/busybox",
        digest: DIGEST,
        reference: DIGEST,
        implicitHost: false,
      },
    ],
    [
      `busybox:1.36@${DIGEST}`,
      {
        host: "docker.io",
        repository: "library/busybox",
        tag: "1.36",
        digest: DIGEST,
        reference: DIGEST,
        implicitHost: true,
      },
    ],
  ];
  for (const [input, want] of rows) {
    test(`remoteTarget of "${input.slice(0, 50)}" is ${want.host}/${want.repository}`, () => {
      assert.deepEqual(remoteTarget(parseReference(input)), want);
    });
  }

  test("remoteTarget rejects a digest that is not sha256", () => {
    assert.throws(
      () => remoteTarget(parseReference(`a@blake3:${"c".repeat(64)}`)),
      (err: unknown) => err instanceof ImageError && err.kind === "InvalidArgument",
    );
  });
});

describe("splitRepoTag", () => {
  const rows: [string, { repository: string; tag?: string }][] = [
    ["busybox:latest", { repository: "busybox", tag: "latest" }],
    ["localhost:5000/a/b:v1", { repository: "localhost:5000/a/b", tag: "v1" }],
    ["localhost:5000/a/b", { repository: "localhost:5000/a/b" }],
    ["hub.oepkgs.net/library/busybox", { repository: "hub.oepkgs.net/library/busybox" }],
    ["a:", { repository: "a", tag: "" }],
    ["<none>", { repository: "<none>" }],
  ];
  for (const [input, want] of rows) {
    test(`splitRepoTag("${input}") splits at the last colon with no slash after it`, () => {
      assert.deepEqual(splitRepoTag(input), want);
    });
  }
});
