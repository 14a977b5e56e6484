/**
 * Hostile registry answers (issue #6), table-driven: each is pulled into a store that already
 * holds an image, by `pullImage` over a real HTTP client, from a tiny registry on 127.0.0.1 that
 * answers as the case says. Each must be refused with one clear line, leave the store exactly
 * as it was and write nothing beside it. The memory cases are also pulled by the `isula` child
 * (see hostile-memory.test.ts).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MAX_JSON_DEPTH } from "../../src/digest/bounded-read.ts";
import { sha256Digest } from "../../src/digest/digest.ts";
import { ImageError } from "../../src/errors.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { pullImage } from "../../src/pull/pull-image.ts";
import { RegistryClient } from "../../src/registry/registry-client.ts";
import { type BuiltImage, buildImage, buildLayer } from "../helpers/image-builder.ts";
import { listTree, snapshotStore } from "../helpers/store-snapshot.ts";
import { type Answer, startTinyRegistry, type TinyRegistry } from "./tiny-registry.ts";

const MIB = 1 << 20;
const REPO = "hostile/img";

let reg: TinyRegistry;
let work: string;
let store: ImageStore;
/** Never stored: every hostile pull would have to fetch its layer. */
let image: BuiltImage;
/** Pulled once to show the registry works; its layer differs from `image`'s. */
let good: BuiltImage;

/** A schema2 manifest of `image`, with fields overridden. */
function manifest(over: Record<string, unknown> = {}, img = image): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: {
        mediaType: MediaType.dockerConfig,
        digest: img.configDigest,
        size: img.config.length,
      },
      layers: img.layers.map((l) => ({
        mediaType: MediaType.dockerLayerGzip,
        digest: l.digest,
        size: l.blob.length,
      })),
      ...over,
    }),
  );
}

const json = (body: Buffer | string, type: string = MediaType.dockerManifest): Answer => ({
  headers: { "content-type": type },
  body,
});

/** Serves `/v2/`, the manifest answer and the image's blobs (overridable by digest). */
function serve(
  manifestAnswer: Answer,
  blobs: Record<string, Answer> = {},
  v2?: Answer,
  img = image,
): void {
  reg.route = (path) => {
    if (path === "/v2/") return v2 ?? { body: "{}" };
    if (path.startsWith(`/v2/${REPO}/manifests/`)) return manifestAnswer;
    const digest = path.split("/blobs/")[1];
    if (digest === undefined) return undefined;
    if (blobs[digest]) return blobs[digest];
    if (digest === img.configDigest) return { body: img.config };
    const layer = img.layers.find((l) => l.digest === digest);
    return layer ? { body: layer.blob } : undefined;
  };
}

type Case = [what: string, setup: () => void, message: RegExp];

const nest = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

const cases: Case[] = [
  [
    "a manifest larger than 4 MiB (streamed without a length)",
    () =>
      serve({
        headers: { "content-type": MediaType.dockerManifest },
        stream: { bytes: 64 * MIB, fill: " " },
      }),
    /manifest of ".*" is larger than 4194304 bytes/,
  ],
  [
    "an index larger than 4 MiB",
    () =>
      serve({
        headers: { "content-type": MediaType.ociIndex },
        stream: { bytes: 64 * MIB, fill: "[" },
      }),
    /is larger than 4194304 bytes/,
  ],
  [
    "a config whose descriptor claims 1 GiB",
    () =>
      serve(
        json(
          manifest({
            config: {
              mediaType: MediaType.dockerConfig,
              digest: image.configDigest,
              size: 1 << 30,
            },
          }),
        ),
      ),
    /config of ".*" is larger than 8388608 bytes/,
  ],
  [
    "a config body larger than its descriptor says",
    () =>
      serve(json(manifest()), {
        [image.configDigest]: { stream: { bytes: 64 * MIB, fill: "{" } },
      }),
    /is larger than its size/,
  ],
  [
    "a layer body larger than its descriptor says",
    () =>
      serve(json(manifest()), {
        [image.layers[0]?.digest as string]: { stream: { bytes: 64 * MIB, fill: "\u0000" } },
      }),
    /is larger than its size/,
  ],
  [
    "a layer descriptor whose size lies (smaller than the blob)",
    () =>
      serve(
        json(
          manifest({
            layers: image.layers.map((l) => ({
              mediaType: MediaType.dockerLayerGzip,
              digest: l.digest,
              size: 10,
            })),
          }),
        ),
      ),
    /is larger than its size 10/,
  ],
  [
    "a layer descriptor with a negative size",
    () =>
      serve(
        json(
          manifest({
            layers: image.layers.map((l) => ({
              mediaType: MediaType.dockerLayerGzip,
              digest: l.digest,
              size: -1,
            })),
          }),
        ),
      ),
    /has an invalid size -1/,
  ],
  [
    "a manifest nested 100 000 levels deep",
    () => serve(json(`{"schemaVersion":2,"config":${nest(100_000)},"layers":[]}`)),
    new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
  ],
  [
    "a manifest listing 20 000 layers",
    () =>
      serve(
        json(
          manifest({
            layers: Array.from({ length: 20_000 }, () => ({
              mediaType: MediaType.dockerLayerGzip,
              digest: image.layers[0]?.digest,
              size: image.layers[0]?.blob.length,
            })),
          }),
        ),
      ),
    /has 20000 layers, more than the 125 an image may have/,
  ],
  [
    "an index listing 20 000 manifests",
    () =>
      serve(
        json(
          JSON.stringify({
            schemaVersion: 2,
            manifests: Array.from({ length: 20_000 }, () => ({
              mediaType: MediaType.dockerManifest,
              digest: sha256Digest("x"),
              size: 1,
            })),
          }),
          MediaType.ociIndex,
        ),
      ),
    /lists 20000 manifests, more than 1000/,
  ],
  [
    "an index whose entries are not descriptors",
    () => serve(json('{"schemaVersion":2,"manifests":[null,5]}', MediaType.ociIndex)),
    /entry 0 of index of ".*" is not a descriptor object/,
  ],
  [
    "a layer entry that is null",
    () => serve(json(manifest({ layers: [null] }))),
    /layer 0 of manifest of ".*" is not a descriptor object/,
  ],
  [
    "a layer digest that is a path",
    () =>
      serve(
        json(
          manifest({
            layers: [{ mediaType: MediaType.dockerLayerGzip, digest: "../../x", size: 1 }],
          }),
        ),
      ),
    /unsupported digest "..\/..\/x"/,
  ],
  [
    "a manifest media type we do not support",
    () => serve(json(manifest(), "application/vnd.example.evil+json")),
    /unsupported media type "application\/vnd.example.evil\+json"/,
  ],
  [
    "a layer media type we do not support",
    () =>
      serve(
        json(
          manifest({
            layers: image.layers.map((l) => ({
              mediaType: "application/x-evil",
              digest: l.digest,
              size: l.blob.length,
            })),
          }),
        ),
      ),
    /unsupported layer media type "application\/x-evil"/,
  ],
  [
    "a config media type we do not support",
    () =>
      serve(
        json(
          manifest({
            config: {
              mediaType: "text/html",
              digest: image.configDigest,
              size: image.config.length,
            },
          }),
        ),
      ),
    /unsupported config media type "text\/html"/,
  ],
  [
    "a token response larger than 1 MiB",
    () =>
      serve(
        json(manifest()),
        {},
        {
          status: 401,
          headers: { "www-authenticate": `Bearer realm="http://${reg.host}/token",service="s"` },
          body: "{}",
        },
      ),
    /token response is larger than 1048576 bytes/,
  ],
  [
    "an error body of 64 MiB with a multi-line message",
    () =>
      serve({
        status: 403,
        stream: { bytes: 64 * MIB, fill: "x" },
      }),
    /access denied$/,
  ],
  [
    "an error message with newlines and escapes",
    () =>
      serve({
        status: 403,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          errors: [{ code: "DENIED", message: "no\n\u001b[31mFAKE LINE\r\nmore" }],
        }),
      }),
    /access denied \(denied: no \[31mFAKE LINE more\)$/,
  ],
];

before(async () => {
  reg = await startTinyRegistry();
  work = mkdtempSync(join(tmpdir(), "hostile-registry-"));
  mkdirSync(join(work, "sentinel"));
  writeFileSync(join(work, "sentinel", "keep"), "untouched");
  store = ImageStore.open({ graph: join(work, "graph") });
  image = buildImage({ layers: [await buildLayer([{ name: "f", body: "hostile" }], "gzip")] });
  good = buildImage({ layers: [await buildLayer([{ name: "f", body: "good" }], "gzip")] });
  // The token endpoint of the token case answers 64 MiB.
  const route = (path: string) =>
    path.startsWith("/token") ? { stream: { bytes: 64 * MIB, fill: "{" } } : undefined;
  reg.route = route;
});

after(async () => {
  store?.close();
  await reg?.close();
  rmSync(work, { recursive: true, force: true });
});

function client(): RegistryClient {
  return new RegistryClient({
    certsDir: join(work, "certs.d"),
    insecureRegistries: [reg.host],
    skipVerifyEnforce: false,
    mirrors: [],
    credentialsFor: () => undefined,
    transfer: { attempts: 1, retryDelayMs: 1, maxRetryDelayMs: 1 },
  });
}

async function pull(tag: string): Promise<unknown> {
  const c = client();
  try {
    const name = `${reg.host}/${REPO}:${tag}`;
    return await pullImage({
      store,
      source: c,
      reference: name,
      storedName: name,
      maxConcurrentDownloads: 3,
    });
  } finally {
    await c.close();
  }
}

describe("pull refuses hostile registry answers", () => {
  test("the tiny registry serves a good image (the cases below can only fail on their fault)", async () => {
    serve(json(manifest({}, good)), {}, undefined, good);
    await pull("good");
    assert.equal(store.listImages().length, 1);
  });

  for (const [what, setup, message] of cases) {
    test(`refuses ${what}`, async () => {
      setup();
      const inner = reg.route;
      reg.route = (path, req) =>
        path.startsWith("/token") ? { stream: { bytes: 64 * MIB, fill: "{" } } : inner(path, req);
      const before = snapshotStore(store);
      const beside = listTree(join(work, "sentinel"));
      const err = await pull("bad").then(
        () => assert.fail("the pull should have failed"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ImageError, String((err as Error)?.stack ?? err));
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\p{Cc}/u);
      assert.deepEqual(snapshotStore(store), before);
      assert.deepEqual(listTree(join(work, "sentinel")), beside);
    });
  }
});

export const HOSTILE_REGISTRY_CASES = cases.length;
