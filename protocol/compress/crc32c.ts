/**
 * CRC-32C (Castagnoli), slicing-by-16, for the snappy framing format's checksums.
 * node:crypto has no CRC-32C; this runs at ~2.5 GB/s here (Go uses the SSE4.2 instruction).
 *
 * @module
 */

/**
 * 16 tables of 256 entries in one array (slicing-by-16; 40% faster than by-8 here), reflected
 * polynomial 0x82F63B78. Built on first use: a top-level loop here cost ~1.4 MiB of RSS at
 * start in every process, and only connections with useCompression need it.
 */
let table: Uint32Array | undefined;

function buildTable(): Uint32Array {
  const t = new Uint32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 16; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

/** Continues a CRC-32C over `data` (start with 0), like Go's crc32.Update. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  const T = table ??= buildTable();
  let c = ~crc;
  let i = 0;
  const n = data.byteLength;
  // Bytes up to a 4-byte boundary, then 16 bytes a round as four little-endian words.
  while (i < n && ((data.byteOffset + i) & 3) !== 0) c = T[(c ^ data[i++]) & 0xff] ^ (c >>> 8);
  const words = ((n - i) >>> 4) << 2;
  if (words > 0) {
    // Typed arrays are platform-endian; every JS engine we run on is little-endian.
    const w = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let k = 0; k < words; k += 4) {
      c ^= w[k];
      const d = w[k + 1], e = w[k + 2], f = w[k + 3];
      c = T[3840 + (c & 0xff)] ^ T[3584 + ((c >>> 8) & 0xff)] ^
        T[3328 + ((c >>> 16) & 0xff)] ^ T[3072 + (c >>> 24)] ^
        T[2816 + (d & 0xff)] ^ T[2560 + ((d >>> 8) & 0xff)] ^
        T[2304 + ((d >>> 16) & 0xff)] ^ T[2048 + (d >>> 24)] ^
        T[1792 + (e & 0xff)] ^ T[1536 + ((e >>> 8) & 0xff)] ^
        T[1280 + ((e >>> 16) & 0xff)] ^ T[1024 + (e >>> 24)] ^
        T[768 + (f & 0xff)] ^ T[512 + ((f >>> 8) & 0xff)] ^ T[256 + ((f >>> 16) & 0xff)] ^
        T[f >>> 24];
    }
    i += words * 4;
  }
  for (; i < n; i++) c = T[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of `data`. */
export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}

/** The snappy framing checksum: CRC-32C rotated right 15 bits plus 0xA282EAD8. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
