/**
 * Mutations of archive bytes for the archive-loader fuzz run: byte flips, truncation, splices
 * of another archive, tar header fields rewritten with a valid checksum (so the change gets past
 * the checksum and reaches the parsers), and JSON members rewritten with hostile values. Driven
 * by a seeded generator, so a seed replays the same inputs.
 */

/** mulberry32: a small seeded generator; `next()` is uniform in [0, 1). */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** A mutated input and how it was made (printed with a failure). */
export interface Mutant {
  bytes: Buffer;
  how: string;
}

const BLOCK = 512;

/** The offsets of the tar header blocks of a plain tar (checksum-valid blocks at 512 steps). */
export function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + BLOCK <= tar.length; off += BLOCK) {
    if (tar.readUInt8(off) === 0) continue;
    if (tar.toString("latin1", off + 257, off + 262) !== "ustar") continue;
    out.push(off);
  }
  return out;
}

/** Rewrites the checksum of the header at `off` so the header is accepted as intact. */
export function fixChecksum(tar: Buffer, off: number): void {
  tar.fill(0x20, off + 148, off + 156);
  let sum = 0;
  for (let i = off; i < off + BLOCK; i += 1) sum += tar[i] as number;
  tar.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, off + 148, 8, "latin1");
}

/** Header fields worth breaking, with values that break them. */
const FIELDS: Array<{ at: number; len: number; values: (rng: Rng) => Buffer }> = [
  // size: huge, zero, odd, base-256 huge or negative
  {
    at: 124,
    len: 12,
    values: (rng) =>
      rng.pick([
        Buffer.from("77777777777\u0000"),
        Buffer.from("00000000000\u0000"),
        Buffer.from(`${rng.int(1 << 20).toString(8)}\u0000`),
        Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0]),
        Buffer.alloc(12, 0xff),
        Buffer.from("-0000000001\u0000"),
      ]),
  },
  // typeflag
  {
    at: 156,
    len: 1,
    values: (rng) => Buffer.from(rng.pick(["0", "1", "2", "3", "5", "6", "L", "K", "x", "g", "S"])),
  },
  // name
  {
    at: 0,
    len: 100,
    values: (rng) =>
      Buffer.from(
        rng.pick(["../../escape", "/etc/passwd", "manifest.json", "index.json", "a/../../b", ""]),
      ),
  },
  // linkname
  {
    at: 157,
    len: 100,
    values: (rng) =>
      Buffer.from(rng.pick(["../../etc", "/", "manifest.json", "blobs/sha256", "x/../../y"])),
  },
  // mode, uid, mtime
  { at: 100, len: 8, values: () => Buffer.from("7777777\u0000") },
  { at: 108, len: 8, values: () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
  { at: 136, len: 12, values: () => Buffer.from("zzzzzzzzzzz\u0000") },
];

function flipBytes(rng: Rng, input: Buffer): Mutant {
  const out = Buffer.from(input);
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i += 1) out[rng.int(out.length)] = rng.int(256);
  return { bytes: out, how: `flip ${n} bytes` };
}

function truncate(rng: Rng, input: Buffer): Mutant {
  const at = rng.int(input.length);
  return { bytes: input.subarray(0, at), how: `truncate at ${at}` };
}

function splice(rng: Rng, input: Buffer, other: Buffer): Mutant {
  const from = rng.int(other.length);
  const len = 1 + rng.int(Math.min(4096, other.length - from));
  const at = rng.int(input.length);
  const bytes = Buffer.concat([
    input.subarray(0, at),
    other.subarray(from, from + len),
    input.subarray(at),
  ]);
  return { bytes, how: `splice ${len} bytes of another archive at ${at}` };
}

function headerField(rng: Rng, input: Buffer): Mutant {
  const heads = headerOffsets(input);
  if (heads.length === 0) return flipBytes(rng, input);
  const off = rng.pick(heads);
  const field = rng.pick(FIELDS);
  const out = Buffer.from(input);
  out.fill(0, off + field.at, off + field.at + field.len);
  field.values(rng).copy(out, off + field.at, 0, field.len);
  fixChecksum(out, off);
  return { bytes: out, how: `header at ${off}: field at ${field.at} rewritten` };
}

/** Picks one byte-level mutation of a plain tar. */
export function mutateBytes(rng: Rng, input: Buffer, other: Buffer): Mutant {
  const r = rng.int(10);
  if (r < 3) return flipBytes(rng, input);
  if (r < 4) return truncate(rng, input);
  if (r < 5) return splice(rng, input, other);
  return headerField(rng, input);
}

/** Values that a hostile JSON document puts where a string, number or list belongs. */
function hostileValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => -1,
    () => 2 ** 60,
    () => "",
    () => "../../etc/passwd",
    () => `sha256:${"0".repeat(64)}`,
    () => [],
    () => [null],
    () => ({}),
    () => true,
    () => Array.from({ length: 200 }, () => "blobs/sha256/x"),
    () => JSON.parse(`${"[".repeat(300)}${"]".repeat(300)}`),
  ])();
}

/** Replaces one random value anywhere in a JSON document by a hostile one. */
export function mutateJson(rng: Rng, doc: unknown): unknown {
  const slots: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      slots.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(x);
    }
  };
  const copy = structuredClone(doc);
  walk(copy);
  if (slots.length === 0) return hostileValue(rng);
  const slot = rng.pick(slots);
  if (rng.int(8) === 0 && !Array.isArray(slot.parent)) delete slot.parent[slot.key as string];
  else (slot.parent as Record<string, unknown>)[slot.key as string] = hostileValue(rng);
  return copy;
}
