import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CANNOT_CONNECT, openService } from "../service/open.ts";
import { DaemonImageService } from "./daemon-client.ts";
import { startGrpcServer } from "./grpc-server.ts";
import { type DaemonFixture, startDaemonFixture } from "./testing/daemon-fixture.ts";

describe("openService picks the mode", () => {
  let f: DaemonFixture;
  before(async () => {
    f = await startDaemonFixture();
  });
  after(() => f.stop());

  it("-H with a daemon answering: the daemon client", async () => {
    const s = await openService({ host: f.host, debug: false, env: f.env });
    assert.ok(s instanceof DaemonImageService);
    assert.deepEqual(await s.list({ filters: {} }), []);
    await s.close();
  });

  it("ISULAD_HOST with nothing answering: Unavailable with iSulad's text", async () => {
    const env = { ...f.env, ISULAD_HOST: `unix://${join(f.dir, "nobody.sock")}` };
    await assert.rejects(openService({ debug: false, env }), {
      kind: "Unavailable",
      message: CANNOT_CONNECT,
    });
  });

  it("neither, and no daemon on the default socket: direct mode", async () => {
    const s = await openService({ debug: false, env: f.env });
    assert.ok(!(s instanceof DaemonImageService));
    await s.close();
  });

  it("neither, and a daemon on <state>/isulad.sock: the daemon", async (t) => {
    if (process.getuid?.() === 0) return t.skip("root's default socket is /var/run/isulad.sock");
    const server = await startGrpcServer({
      service: f.local,
      hosts: [`unix://${join(f.dir, "state", "isulad.sock")}`],
    });
    t.after(() => server.close());
    const s = await openService({ debug: false, env: f.env });
    assert.ok(s instanceof DaemonImageService);
    await s.close();
  });
});
