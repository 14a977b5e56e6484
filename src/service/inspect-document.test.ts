import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import { inspectDocument } from "./inspect-document.ts";
import { repoDigests } from "./names.ts";

const digest = `sha256:${"d".repeat(64)}` as const;
const record: ImageRecord = {
  id: "e".repeat(64),
  names: ["busybox:latest", `hub.example.com/x/busybox@sha256:${"f".repeat(64)}`, "busybox:1"],
  topLayer: "a".repeat(64),
  digest,
  manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
  configSize: 10,
  manifestSize: 20,
  size: 1234,
  created: "2019-06-15T00:19:54.402459069Z",
  loaded: "2026-12-03T17:00:00.000000001Z",
  labels: {},
};

const config = {
  created: "2019-06-15T00:19:54.402459069Z",
  architecture: "amd64",
  os: "linux",
  docker_version: "18.06.1-ce",
  container_config: { Hostname: "x" },
  config: { User: "1000:1000", Cmd: ["sh"], Env: ["PATH=/bin"], Hostname: "h" },
  rootfs: { type: "layers", diff_ids: [`sha256:${"a".repeat(64)}`] },
  history: [{ created: "2019-06-15T00:19:54Z", created_by: "/bin/sh", extra: 1 }],
} as unknown as ImageConfig;

describe("inspectDocument", () => {
  it("lays out iSulad's keys in its order", () => {
    const doc = inspectDocument(record, config).image as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), [
      "id",
      "repo_tags",
      "repo_digests",
      "top_layer",
      "size",
      "created",
      "loaded",
      "uid",
      "Spec",
    ]);
    assert.deepEqual(doc.repo_tags, ["busybox:latest", "busybox:1"]);
    assert.deepEqual(doc.uid, { value: 1000 });
  });

  it("drops config keys outside iSulad's schema", () => {
    const spec = (inspectDocument(record, config).image as { Spec: Record<string, unknown> }).Spec;
    assert.equal(spec.docker_version, undefined);
    assert.equal(spec.container_config, undefined);
    assert.deepEqual(spec.config, { User: "1000:1000", Env: ["PATH=/bin"], Cmd: ["sh"] });
    assert.deepEqual(spec.history, [{ created: "2019-06-15T00:19:54Z", created_by: "/bin/sh" }]);
  });

  it("names a non-numeric user as username and adds a healthcheck when it has a test", () => {
    const c = {
      ...config,
      config: { User: "nobody", Healthcheck: { Test: ["CMD", "true"], Retries: 3 } },
    } as unknown as ImageConfig;
    const doc = inspectDocument(record, c).image as Record<string, unknown>;
    assert.equal(doc.username, "nobody");
    assert.equal(doc.uid, undefined);
    assert.deepEqual(doc.Healthcheck, {
      Test: ["CMD", "true"],
      Interval: 0,
      Timeout: 0,
      StartPeriod: 0,
      Retries: 3,
      ExitOnUnhealthy: false,
    });
  });
});

describe("repoDigests", () => {
  it("lists digest names and repo@manifest-digest for each tag's repository once", () => {
    assert.deepEqual(repoDigests(record), [
      `busybox@${digest}`,
      `hub.example.com/x/busybox@sha256:${"f".repeat(64)}`,
    ]);
  });
});
