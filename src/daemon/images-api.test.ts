import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeDockerArchive } from "../../test/cli/harness.ts";
import { buildImage, sampleImage } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { ImageError } from "../errors.ts";
import type { PullProgress } from "../service/types.ts";
import { DaemonImageService } from "./daemon-client.ts";
import { ImagesServiceDefinition } from "./gen-client/images.ts";
import { GrpcLiteChannel } from "./grpc-lite-client.ts";
import { liteMethods } from "./grpc-lite-methods.ts";
import { type DaemonFixture, startDaemonFixture } from "./testing/daemon-fixture.ts";
import { rowsToSummaries, summariesFromJson } from "./wire-images.ts";

const Api = liteMethods(ImagesServiceDefinition);

/** The error `fn` rejects with, as `{ kind, message }`. */
async function failure(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ImageError, `not an ImageError: ${String(err)}`);
    return { kind: err.kind, message: err.message };
  }
  assert.fail("did not fail");
}

describe("images.ImagesService through DaemonImageService", () => {
  let f: DaemonFixture;
  let appId: string;
  before(async () => {
    f = await startDaemonFixture();
    const app = await writeDockerArchive(join(f.dir, "app.tar"), { repoTags: ["test/app:1"] });
    appId = app.id;
  });
  after(() => f.stop());

  it("load returns what the local service stores, and list matches the local list", async () => {
    const r = await f.client.load({ file: join(f.dir, "app.tar") });
    assert.deepEqual(r, { images: [{ id: appId, names: ["test/app:1"] }] });
    const [remote, local] = [
      await f.client.list({ filters: {} }),
      await f.local.list({ filters: {} }),
    ];
    assert.deepEqual(remote, local);
    assert.equal(remote[0]?.created, "2020-01-02T03:04:05.123456789Z");
  });

  it("list answers our client with the summaries as JSON and an iSulad client with rows", async () => {
    const channel = new GrpcLiteChannel({ kind: "unix", path: f.host.slice("unix://".length) });
    try {
      const ask = async (wantSummariesJson: boolean) =>
        (await channel.unary(Api.list, { filters: {}, filterValues: [], wantSummariesJson }))
          .message;
      const rows = await ask(false);
      assert.equal(rows.summariesJson.length, 0);
      assert.deepEqual(
        rows.images.map((r) => [r.name, r.id]),
        [["test/app:1", appId]],
      );
      const json = await ask(true);
      assert.equal(json.images.length, 0);
      const summaries = JSON.parse(Buffer.from(json.summariesJson).toString("utf8"));
      assert.deepEqual(summaries, await f.local.list({ filters: {} }));
      // Both forms give the client the same summaries.
      assert.deepEqual(rowsToSummaries(rows.images), summaries);
    } finally {
      channel.close();
    }
  });

  it("list passes every value of every filter", async () => {
    await f.client.tag("test/app:1", "test/app:2");
    const filters = { reference: ["test/app:2", "nothing*"] };
    assert.deepEqual(await f.client.list({ filters }), await f.local.list({ filters }));
    assert.deepEqual((await f.client.list({ filters }))[0]?.repoTags, ["test/app:2"]);
  });

  it("inspect returns the local document", async () => {
    assert.deepEqual(await f.client.inspect("test/app:1"), await f.local.inspect("test/app:1"));
  });

  it("remove reports untagged, then deleted, and the kinds of its failures", async () => {
    assert.deepEqual(
      await failure(() => f.client.remove({ name: appId, force: false })),
      await failure(() => f.local.remove({ name: appId, force: false })),
    );
    assert.equal(
      (await failure(() => f.client.remove({ name: appId, force: false }))).kind,
      "FailedPrecondition",
    );
    assert.deepEqual(await f.client.remove({ name: "test/app:2", force: false }), {
      action: "untagged",
      id: appId,
    });
    assert.deepEqual(await f.client.remove({ name: "test/app:1", force: false }), {
      action: "deleted",
      id: appId,
    });
    assert.deepEqual(
      await failure(() => f.client.inspect("test/app:1")),
      await failure(() => f.local.inspect("test/app:1")),
    );
    assert.equal((await failure(() => f.client.inspect("test/app:1"))).kind, "NotFound");
  });

  it("save writes the archive on the daemon's side", async () => {
    await f.client.load({ file: join(f.dir, "app.tar"), tag: "saved:1" });
    const output = join(f.dir, "out.tar");
    await f.client.save({ names: ["saved:1"], output });
    assert.ok(statSync(output).size > 0);
  });

  it("errors keep kind and message: InvalidArgument, NotFound, Unauthenticated-free login failure", async () => {
    for (const call of [
      (s: DaemonImageService | typeof f.local) => s.tag("saved:1", `x@sha256:${"a".repeat(64)}`),
      (s: DaemonImageService | typeof f.local) => s.load({ file: join(f.dir, "missing.tar") }),
      (s: DaemonImageService | typeof f.local) => s.pull({ name: "BAD NAME" }),
      (s: DaemonImageService | typeof f.local) =>
        s.login({ server: "", username: "u", password: "p" }),
    ]) {
      assert.deepEqual(await failure(() => call(f.client)), await failure(() => call(f.local)));
    }
    assert.equal(
      (await failure(() => f.client.pull({ name: "BAD NAME" }))).kind,
      "InvalidArgument",
    );
  });

  it("logout of a server with nothing stored succeeds", async () => {
    await f.client.logout({ server: "127.0.0.1:1" });
  });

  it("logs each request at debug, never a password", async () => {
    await failure(() =>
      f.client.login({ server: "127.0.0.1:1", username: "u", password: "s3cret" }),
    );
    assert.ok(f.logs.some((l) => l.startsWith("debug: Login server=127.0.0.1:1 username=u")));
    assert.ok(f.logs.every((l) => !l.includes("s3cret")));
  });

  it("a client of a daemon that is gone fails with iSulad's connect message", async () => {
    const gone = new DaemonImageService(`unix://${join(f.dir, "none.sock")}`);
    assert.deepEqual(await failure(() => gone.list({ filters: {} })), {
      kind: "Unavailable",
      message: "Can not connect with server.Is the iSulad daemon running on the host?",
    });
    await gone.close();
  });

  it("the server removes its socket on close", async () => {
    const g = await startDaemonFixture();
    const path = g.host.slice("unix://".length);
    assert.equal(statSync(path).mode & 0o777, 0o660);
    await g.server.close();
    assert.equal(existsSync(path), false);
    await g.stop();
  });
});

describe("PullImage streams progress from the real registry", () => {
  let reg: RegistryHarness;
  let f: DaemonFixture;
  let id: string;
  before(async () => {
    reg = await startRegistry("http");
    const image = buildImage({ layers: (await sampleImage("gzip", "daemon")).layers });
    id = image.id;
    const layout = join(reg.root, "layout");
    await writeOciLayout(layout, [{ tag: "1", image }]);
    await reg.push(layout, "1", "team/app:1");
    f = await startDaemonFixture({ daemonJson: { "insecure-registries": [reg.host] } });
  });
  after(async () => {
    await f?.stop();
    await reg?.stop();
  });

  it("delivers per-layer progress and returns the stored name and ID", async () => {
    const events: PullProgress[] = [];
    const name = `${reg.host}/team/app:1`;
    const r = await f.client.pull({ name, onProgress: (p) => events.push(p) });
    assert.deepEqual(r, { name, id });
    assert.ok(events.length >= 2, JSON.stringify(events));
    const last = new Map(events.map((e) => [e.id, e]));
    for (const e of last.values()) assert.equal(e.current, e.total);
    assert.deepEqual(
      (await f.local.list({ filters: {} })).map((s) => s.id),
      [id],
    );
  });

  it("without onProgress gets only the result; a second pull reports the layers as existing", async () => {
    const name = `${reg.host}/team/app:1`;
    assert.deepEqual(await f.client.pull({ name }), { name, id });
    const events: PullProgress[] = [];
    await f.client.pull({ name, onProgress: (p) => events.push(p) });
    assert.ok(
      events.length > 0 && events.every((e) => e.status === "exists"),
      JSON.stringify(events),
    );
  });

  it("a failed pull keeps the kind and iSulad's message", async () => {
    const name = `${reg.host}/team/missing:1`;
    assert.deepEqual(
      await failure(() => f.client.pull({ name })),
      await failure(() => f.local.pull({ name })),
    );
  });
});

describe("summariesFromJson", () => {
  it("summariesFromJson refuses what is not an array of image summaries", () => {
    const bad = ["{}", '[{"id":"a"}]', "[1]", "not json"];
    for (const text of bad) {
      assert.throws(() => summariesFromJson(Buffer.from(text)), Error, text);
    }
    const one = { id: "a", repoTags: [], repoDigests: [], created: "", size: 1 };
    assert.deepEqual(summariesFromJson(Buffer.from(JSON.stringify([one]))), [one]);
  });
});
