import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { credentials, type Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { writeDockerArchive } from "../../test/cli/harness.ts";
import { buildImage, sampleImage } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { makeCa, makeLeaf } from "../../test/helpers/test-certs.ts";
import { DaemonImageService } from "./daemon-client.ts";
import {
  AuthConfig,
  ImageFsInfoRequest,
  type ImageFsInfoResponse,
  ImageServiceClient,
  ImageSpec,
  ImageStatusRequest,
  type ImageStatusResponse,
  ListImagesRequest,
  type ListImagesResponse,
  PullImageRequest,
  type PullImageResponse,
  RemoveImageRequest,
  type RemoveImageResponse,
  RuntimeServiceClient,
  VersionRequest,
  type VersionResponse,
} from "./gen/cri.ts";
import { startGrpcServer } from "./grpc-server.ts";
import { type DaemonFixture, startDaemonFixture } from "./testing/daemon-fixture.ts";

/** Calls a generated unary method as a promise; rejects with the ServiceError. */
function unary<Res>(
  start: (cb: (err: ServiceError | null, res: Res) => void) => unknown,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe("CRI runtime.v1 over the daemon socket", () => {
  let reg: RegistryHarness;
  let f: DaemonFixture;
  let images: ImageServiceClient;
  let runtime: RuntimeServiceClient;
  let id: string;
  const name = () => `${reg.host}/team/app:1`;

  before(async () => {
    reg = await startRegistry("basic");
    const image = buildImage({ layers: (await sampleImage("gzip", "cri")).layers });
    id = image.id;
    const layout = join(reg.root, "layout");
    await writeOciLayout(layout, [{ tag: "1", image }]);
    await reg.push(layout, "1", "team/app:1");
    f = await startDaemonFixture({ daemonJson: { "insecure-registries": [reg.host] } });
    const target = f.host;
    images = new ImageServiceClient(target, credentials.createInsecure());
    runtime = new RuntimeServiceClient(target, credentials.createInsecure());
  });
  after(async () => {
    images?.close();
    runtime?.close();
    await f?.stop();
    await reg?.stop();
  });

  it("Version names the runtime and API version", async () => {
    const v = await unary<VersionResponse>((cb) =>
      runtime.version(VersionRequest.fromPartial({ version: "v1" }), cb),
    );
    assert.equal(v.runtimeName, "isulad-ts");
    assert.equal(v.runtimeApiVersion, "v1");
  });

  it("PullImage without credentials fails as Unauthenticated, with the kind in metadata", async () => {
    const err = await unary<PullImageResponse>((cb) =>
      images.pullImage(
        PullImageRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
        }),
        cb,
      ),
    ).then(
      () => assert.fail("pulled"),
      (e: ServiceError) => e,
    );
    assert.equal(err.code, status.UNAUTHENTICATED);
    assert.deepEqual((err.metadata as Metadata).get("isulad-error-kind"), ["Unauthenticated"]);
  });

  it("PullImage with base64 auth (before a wrong username/password) returns the 64-hex ID", async () => {
    const c = reg.credentials as { username: string; password: string };
    const auth = Buffer.from(`${c.username}:${c.password}`).toString("base64");
    const r = await unary<PullImageResponse>((cb) =>
      images.pullImage(
        PullImageRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
          auth: AuthConfig.fromPartial({ username: "wrong", password: "wrong", auth }),
        }),
        cb,
      ),
    );
    assert.deepEqual(r, { imageRef: id });
  });

  it("PullImage with username/password works too", async () => {
    const c = reg.credentials as { username: string; password: string };
    const r = await unary<PullImageResponse>((cb) =>
      images.pullImage(
        PullImageRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
          auth: AuthConfig.fromPartial({ username: c.username, password: c.password }),
        }),
        cb,
      ),
    );
    assert.equal(r.imageRef, id);
  });

  it("ListImages and ImageStatus describe the image; a missing one has no image", async () => {
    const list = await unary<ListImagesResponse>((cb) =>
      images.listImages(ListImagesRequest.fromPartial({}), cb),
    );
    assert.deepEqual(
      list.images.map((i) => [i.id, i.repoTags]),
      [[id, [name()]]],
    );
    assert.ok((list.images[0]?.size ?? 0n) > 0n);
    const st = await unary<ImageStatusResponse>((cb) =>
      images.imageStatus(
        ImageStatusRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
        }),
        cb,
      ),
    );
    assert.equal(st.image?.id, id);
    assert.equal(st.image?.repoDigests.length, 1);
    const filtered = await unary<ListImagesResponse>((cb) =>
      images.listImages(
        ListImagesRequest.fromPartial({
          filter: { image: ImageSpec.fromPartial({ image: "nope:1" }) },
        }),
        cb,
      ),
    );
    assert.deepEqual(filtered.images, []);
    const missing = await unary<ImageStatusResponse>((cb) =>
      images.imageStatus(
        ImageStatusRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: "nope:1" }),
        }),
        cb,
      ),
    );
    assert.equal(missing.image, undefined);
  });

  it("ImageFsInfo reports the overlay folder with used bytes and inodes", async () => {
    const r = await unary<ImageFsInfoResponse>((cb) =>
      images.imageFsInfo(ImageFsInfoRequest.fromPartial({}), cb),
    );
    const fs = r.imageFilesystems[0];
    assert.equal(fs?.fsId?.mountpoint, join(f.graph, "storage", "overlay"));
    assert.ok((fs?.usedBytes?.value ?? 0n) > 0n && (fs?.inodesUsed?.value ?? 0n) > 0n);
  });

  it("RemoveImage removes, and removing again succeeds", async () => {
    await unary<RemoveImageResponse>((cb) =>
      images.removeImage(
        RemoveImageRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
        }),
        cb,
      ),
    );
    await unary<RemoveImageResponse>((cb) =>
      images.removeImage(
        RemoveImageRequest.fromPartial({
          image: ImageSpec.fromPartial({ image: name() }),
        }),
        cb,
      ),
    );
    assert.deepEqual(
      (
        await unary<ListImagesResponse>((cb) =>
          images.listImages(ListImagesRequest.fromPartial({}), cb),
        )
      ).images,
      [],
    );
  });
});

describe("tcp:// with TLS", () => {
  it("serves a client with a trusted certificate and refuses one without", async (t) => {
    const f = await startDaemonFixture();
    t.after(() => f.stop());
    const dir = join(f.dir, "pki");
    const ca = makeCa(dir, "ca");
    const server = makeLeaf(dir, "server", ca, "server");
    const client = makeLeaf(dir, "client", ca, "client");
    const foreignCa = makeCa(join(dir, "foreign"), "foreign");
    const foreign = makeLeaf(join(dir, "foreign"), "intruder", foreignCa, "client");
    const pem = (p: string) => readFileSync(p);
    const s = await startGrpcServer({
      service: f.local,
      hosts: ["tcp://127.0.0.1:0"],
      tls: { ca: pem(ca.cert), cert: pem(server.cert), key: pem(server.key) },
    });
    t.after(() => s.close());
    const host = s.addresses[0] as string;
    assert.match(host, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    await writeDockerArchive(join(f.dir, "a.tar"), { repoTags: ["a:1"] });
    await f.local.load({ file: join(f.dir, "a.tar") });

    const good = new DaemonImageService(host, {
      tls: { ca: pem(ca.cert), cert: pem(client.cert), key: pem(client.key) },
    });
    assert.deepEqual(
      (await good.list({ filters: {} })).map((i) => i.repoTags),
      [["a:1"]],
    );
    await good.close();

    for (const pair of [foreign, undefined]) {
      const tls = {
        ca: pem(ca.cert),
        cert: pem(pair?.cert ?? client.cert),
        key: pem(pair?.key ?? client.key),
      };
      const bad = pair ? new DaemonImageService(host, { tls }) : new DaemonImageService(host); // plaintext against a TLS port
      await assert.rejects(bad.list({ filters: {} }), { kind: "Unavailable" });
      await bad.close();
    }
  });
});
