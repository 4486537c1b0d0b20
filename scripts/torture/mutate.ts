/**
 * Structure-aware mutation for the fuzz harness: a seeded PRNG (runs are reproducible from
 * `--seed`), byte-level mutators that favour the values decoders get wrong (length prefixes of
 * 0, 2^31, 2^32-1; boundaries ±1), splicing between corpus entries, and an optional per-target
 * `fix` that re-computes length fields so mutated inputs still reach the deeper parser.
 *
 * @module
 */

/** xorshift32: tiny, fast, deterministic. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed >>> 0) || 0x9e3779b9;
  }
  /** A uint32. */
  u32(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  /** One element of `a`. */
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  /** Random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** Values that break length checks: zero, sign bits, all-ones, small boundaries. */
const INTERESTING_32 = [
  0,
  1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
  10240,
  10241,
  65535,
  65536,
  65537,
];

const TOKENS = [
  "\r\n",
  "\r\n\r\n",
  "\n",
  "\0",
  "{",
  "}",
  "[",
  "]",
  '"',
  "\\",
  ":",
  "=",
  ",",
  "..",
  "%2e%2e",
  "{{",
  "}}",
  "{{ .Envs.X }}",
  '{{ parseNumberRange "1-99999" }}',
  "-9223372036854775808",
  "18446744073709551616",
  "1e309",
  "NaN",
  "\uffff",
  "\ud800",
  "🙂",
  "Transfer-Encoding: chunked",
  "Content-Length: 99999999999999999999",
  "Host: ",
  "&a",
  "*a",
  "!!binary",
  "<<: *a",
];
const TOKEN_BYTES = TOKENS.map((t) => new TextEncoder().encode(t));

function writeBE(b: Uint8Array, off: number, v: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    if (off + i < b.byteLength) b[off + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Applies 1–4 random mutations to a copy of `src` (bounded to `maxLen` bytes). */
export function mutate(
  rng: Rng,
  src: Uint8Array,
  corpus: readonly Uint8Array[],
  maxLen: number,
): Uint8Array {
  let b: Uint8Array = src.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const n = b.byteLength;
    switch (rng.int(12)) {
      case 0: // bit flip
        if (n) b[rng.int(n)] ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        if (n) b[rng.int(n)] = rng.int(256);
        break;
      case 2: // interesting 8/16/32-bit big-endian value
      case 3:
        if (n) writeBE(b, rng.int(n), rng.pick(INTERESTING_32), rng.pick([1, 2, 4, 4, 8]));
        break;
      case 4: { // delete a chunk
        if (!n) break;
        const at = rng.int(n), len = 1 + rng.int(Math.min(64, n - at));
        b = concat(b.subarray(0, at), b.subarray(at + len));
        break;
      }
      case 5: { // duplicate a chunk
        if (!n) break;
        const at = rng.int(n), len = 1 + rng.int(Math.min(256, n - at));
        b = concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
        break;
      }
      case 6: { // insert random bytes
        const at = rng.int(n + 1);
        b = concat(b.subarray(0, at), rng.bytes(1 + rng.int(16)), b.subarray(at));
        break;
      }
      case 7: { // insert a token
        const at = rng.int(n + 1);
        b = concat(b.subarray(0, at), rng.pick(TOKEN_BYTES), b.subarray(at));
        break;
      }
      case 8: { // splice with another corpus entry
        const o = rng.pick(corpus);
        const at = rng.int(n + 1), from = rng.int(o.byteLength + 1);
        b = concat(b.subarray(0, at), o.subarray(from));
        break;
      }
      case 9: // truncate
        b = b.subarray(0, rng.int(n + 1));
        break;
      case 10: { // append a whole corpus entry (several frames in one stream)
        b = concat(b, rng.pick(corpus));
        break;
      }
      default: { // overwrite a range with a repeated byte
        if (!n) break;
        const at = rng.int(n), len = 1 + rng.int(Math.min(32, n - at));
        b.fill(rng.pick([0, 0xff, 0x41, 0x20]), at, at + len);
      }
    }
    if (b.byteLength > maxLen) b = b.subarray(0, maxLen);
  }
  return b;
}

/** Splits `b` into 1..k random-size chunks (decoders must not care how reads fragment). */
export function chunks(rng: Rng, b: Uint8Array, k = 4): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  const parts = 1 + rng.int(k);
  for (let i = 0; i < parts - 1 && off < b.byteLength; i++) {
    const len = 1 + rng.int(b.byteLength - off);
    out.push(b.subarray(off, off + len));
    off += len;
  }
  if (off < b.byteLength || out.length === 0) out.push(b.subarray(off));
  return out;
}
