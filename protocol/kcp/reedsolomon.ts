/**
 * Reed-Solomon erasure coding over GF(2^8), identical to klauspost/reedsolomon v1.12.0 with its
 * default options (what kcp-go's FEC uses): polynomial x^8+x^4+x^3+x^2+1 (0x11d), generator 2,
 * and the systematic matrix "Vandermonde times the inverse of its top square".
 *
 * @module
 */

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  // Doubled so mul needs no modulo.
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

/** a·b in GF(2^8). */
export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** 1/a in GF(2^8); a must be non-zero. */
function gfInv(a: number): number {
  return EXP[255 - LOG[a]];
}

/** a^n as klauspost's galExp. */
function gfExp(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a] * n) % 255];
}

type Matrix = Uint8Array[];

function multiply(a: Matrix, b: Matrix): Matrix {
  const cols = b[0].length;
  return a.map((row) => {
    const out = new Uint8Array(cols);
    for (let c = 0; c < cols; c++) {
      let v = 0;
      for (let i = 0; i < row.length; i++) v ^= gfMul(row[i], b[i][c]);
      out[c] = v;
    }
    return out;
  });
}

/** Gauss-Jordan inverse of a square matrix; throws when singular. */
function invert(m: Matrix): Matrix {
  const n = m.length;
  const w = m.map((row, r) => {
    const x = new Uint8Array(2 * n);
    x.set(row);
    x[n + r] = 1;
    return x;
  });
  for (let r = 0; r < n; r++) {
    if (w[r][r] === 0) {
      const s = w.findIndex((row, i) => i > r && row[r] !== 0);
      if (s < 0) throw new Error("reedsolomon: matrix is singular");
      [w[r], w[s]] = [w[s], w[r]];
    }
    const scale = gfInv(w[r][r]);
    for (let c = 0; c < 2 * n; c++) w[r][c] = gfMul(w[r][c], scale);
    for (let o = 0; o < n; o++) {
      const f = w[o][r];
      if (o === r || f === 0) continue;
      for (let c = 0; c < 2 * n; c++) w[o][c] ^= gfMul(f, w[r][c]);
    }
  }
  return w.map((row) => row.slice(n));
}

/** Per-coefficient multiplication tables (256 bytes each) for the hot loops. */
function mulTable(c: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = gfMul(c, i);
  return t;
}

/** out ^= c·in (or out = c·in when `first`), over `len` bytes. */
function mulAdd(t: Uint8Array, input: Uint8Array, out: Uint8Array, len: number, first: boolean) {
  if (first) { for (let i = 0; i < len; i++) out[i] = t[input[i]]; }
  else for (let i = 0; i < len; i++) out[i] ^= t[input[i]];
}

/** A (data, parity) Reed-Solomon code. */
export class ReedSolomon {
  readonly dataShards: number;
  readonly parityShards: number;
  /** The full (data+parity)×data encoding matrix; the top square is the identity. */
  readonly matrix: Matrix;
  readonly #parityTables: Uint8Array[][];
  readonly #decodeCache = new Map<string, Uint8Array[][]>();

  constructor(dataShards: number, parityShards: number) {
    if (dataShards <= 0 || parityShards <= 0 || dataShards + parityShards > 256) {
      throw new Error("reedsolomon: invalid shard counts");
    }
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    const total = dataShards + parityShards;
    const vm: Matrix = [];
    for (let r = 0; r < total; r++) {
      const row = new Uint8Array(dataShards);
      for (let c = 0; c < dataShards; c++) row[c] = gfExp(r, c);
      vm.push(row);
    }
    this.matrix = multiply(vm, invert(vm.slice(0, dataShards)));
    this.#parityTables = this.matrix.slice(dataShards).map((row) => Array.from(row, mulTable));
  }

  /**
   * Computes the parity shards from the data shards. All shards must be at least `size` bytes
   * (default: the first shard's length); parity shards are overwritten.
   */
  encode(shards: Uint8Array[], size: number = shards[0].length): void {
    const d = this.dataShards;
    for (let p = 0; p < this.parityShards; p++) {
      const tables = this.#parityTables[p];
      const out = shards[d + p];
      for (let i = 0; i < d; i++) mulAdd(tables[i], shards[i], out, size, i === 0);
    }
  }

  /**
   * Rebuilds missing (null) data shards in place from any `dataShards` present shards of equal
   * length. Throws when fewer than `dataShards` are present. Parity shards are not rebuilt.
   */
  reconstructData(shards: (Uint8Array | null)[]): void {
    const d = this.dataShards;
    const present: number[] = [];
    for (let i = 0; i < shards.length && present.length < d; i++) {
      if (shards[i]) present.push(i);
    }
    if (present.length < d) throw new Error("reedsolomon: too few shards");
    const missing: number[] = [];
    for (let i = 0; i < d; i++) if (!shards[i]) missing.push(i);
    if (missing.length === 0) return;
    const size = shards[present[0]]!.length;
    const key = present.join(",");
    let dec = this.#decodeCache.get(key);
    if (!dec) {
      const inv = invert(present.map((i) => this.matrix[i]));
      dec = inv.map((row) => Array.from(row, mulTable));
      if (this.#decodeCache.size >= 64) this.#decodeCache.clear(); // bounded
      this.#decodeCache.set(key, dec);
    }
    for (const m of missing) {
      const out = new Uint8Array(size);
      const tables = dec[m];
      for (let j = 0; j < d; j++) mulAdd(tables[j], shards[present[j]]!, out, size, j === 0);
      shards[m] = out;
    }
  }
}
