import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { createDecoder, sniffCompression } from "./decompress.ts";
import { buildTar, gzipTar, zstdTar } from "./testing/tar-builder.ts";

const tar = buildTar([{ name: "a", body: Buffer.alloc(3 << 20, 0x5a) }]);

async function decode(blob: Buffer, step: number, nativeZstd?: boolean): Promise<Buffer> {
  const out: Buffer[] = [];
  const d = createDecoder(sniffCompression(blob), (c) => out.push(Buffer.from(c)), { nativeZstd });
  for (let i = 0; i < blob.length; i += step) await d.write(blob.subarray(i, i + step));
  await d.end();
  return Buffer.concat(out);
}

describe("createDecoder", () => {
  const cases = [
    ["plain", tar, undefined],
    ["gzip", gzipTar(tar), undefined],
    ["zstd (zstd-napi)", zstdTar(tar), true],
    ["zstd (fzstd fallback)", zstdTar(tar), false],
  ] as const;
  for (const [what, blob, native] of cases) {
    it(`decodes ${what} fed in odd-sized chunks`, async () => {
      assert.deepEqual(await decode(blob, 9999, native), tar);
    });
  }

  for (const [what, blob, native] of cases.slice(1)) {
    it(`refuses truncated ${what}`, async () => {
      await assert.rejects(
        decode(blob.subarray(0, blob.length - 10), 4096, native),
        (err) => err instanceof ImageError && err.kind === "InvalidArgument",
      );
    });
  }

  it("decodes concatenated gzip members and zstd frames", async () => {
    const half = tar.subarray(0, 1 << 20);
    const rest = tar.subarray(1 << 20);
    assert.deepEqual(await decode(Buffer.concat([gzipTar(half), gzipTar(rest)]), 5000), tar);
    assert.deepEqual(await decode(Buffer.concat([zstdTar(half), zstdTar(rest)]), 5000), tar);
  });
});
