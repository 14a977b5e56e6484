/**
 * Formats `x` with `digits` decimals exactly as C's `printf("%.*f")` does under glibc: the
 * exact binary value of the double is rounded, and an exact tie goes to the even neighbour.
 * `Number.prototype.toFixed` rounds ties up instead (`1.0625` → JS `1.063`, C `1.062`).
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  // toFixed is exact except on ties; only values near a tie take the exact (BigInt) path.
  const approx = Math.abs(x) * 10 ** digits;
  const fraction = approx - Math.floor(approx);
  if (Math.abs(fraction - 0.5) > 1e-6 && approx < 1e15) return x.toFixed(digits);
  const negative = x < 0 || Object.is(x, -0);
  const { num, den } = exactRatio(Math.abs(x));
  const scaled = num * 10n ** BigInt(digits);
  let q = scaled / den;
  const twiceRest = (scaled % den) * 2n;
  if (twiceRest > den || (twiceRest === den && q % 2n === 1n)) q += 1n;

  let text = q.toString().padStart(digits + 1, "0");
  if (digits > 0) text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${text}` : text;
}

/** The exact value of a finite, non-negative double as `num / den` with `den` a power of two. */
function exactRatio(x: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // Subnormals have no implicit leading 1 and the smallest exponent.
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  if (exponent >= 0) return { num: mantissa << BigInt(exponent), den: 1n };
  return { num: mantissa, den: 1n << BigInt(-exponent) };
}

const KIB = 1024;
const MIB = KIB * 1024;
const GIB = MIB * 1024;

/**
 * An image size as `isula images` prints it: 1024-based units with three decimals and no space
 * (`1.309MB`), or `<n>B` below 1 KiB. GB is the largest unit (`2048.000GB`).
 */
export function formatImageSize(bytes: number): string {
  if (bytes >= GIB) return `${formatFixed(bytes / GIB, 3)}GB`;
  if (bytes >= MIB) return `${formatFixed(bytes / MIB, 3)}MB`;
  if (bytes >= KIB) return `${formatFixed(bytes / KIB, 3)}KB`;
  return `${Math.trunc(bytes)}B`;
}

/**
 * The width iSulad reserves for a size: the length of the size in MiB printed as `%.2f` of a
 * C `float` (single precision). It passes the minimum of 10 only for sizes near 10 TiB.
 */
export function imageSizeWidth(bytes: number): number {
  // Below 1e12 bytes (~953674 MiB) the text has at most 9 characters.
  if (bytes < 1e12) return String(Math.trunc(bytes / MIB)).length + 3;
  return formatFixed(Math.fround(Math.fround(bytes) / MIB), 2).length;
}
