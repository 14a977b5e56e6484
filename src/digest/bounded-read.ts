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

/**
 * Deepest nesting of arrays and objects accepted in an untrusted JSON document. Real manifests
 * and configs nest fewer than ten levels; printing or re-serialising a document nested some
 * thousands of levels deep overflows the stack (`JSON.stringify` included).
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Parses JSON from untrusted bytes. A syntax error becomes `InvalidArgument` naming `what`; so
 * does nesting deeper than `MAX_JSON_DEPTH`.
 */
export function parseJson(bytes: Buffer | string, what: string): unknown {
  const text = typeof bytes === "string" ? bytes : bytes.toString("utf8");
  // Checked first: parsing a million nested arrays would already cost much memory.
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw imageError("InvalidArgument", `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw imageError("InvalidArgument", `${what} is not valid JSON`, err);
  }
}

/** The deepest bracket nesting of JSON text, ignoring brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return max;
}
