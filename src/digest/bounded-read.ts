import { open } from "node:fs/promises";
import { imageError } from "../errors.ts";

/**
 * Reads a whole untrusted stream into memory, refusing more than `limit` bytes with
 * `ResourceExhausted`, so a hostile manifest or token cannot exhaust memory.
 */
export async function readBounded(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit)
      throw imageError("ResourceExhausted", `${what} is larger than ${limit} bytes`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks, total);
}

/** Reads a whole file, refusing files larger than `limit` bytes (`ResourceExhausted`). */
export async function readFileBounded(path: string, limit: number, what: string): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    if (size > limit)
      throw imageError("ResourceExhausted", `${what} is larger than ${limit} bytes`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Parses JSON from untrusted bytes; a syntax error becomes `InvalidArgument` naming `what`. */
export function parseJson(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch (err) {
    throw imageError("InvalidArgument", `${what} is not valid JSON`, err);
  }
}
