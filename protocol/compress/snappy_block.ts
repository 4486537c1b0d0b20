/**
 * Raw snappy block format, ported from golang/snappy v0.0.4 (encode_other.go,
 * decode_other.go). Pure TS so it needs no --allow-ffi (npm:snappy is napi).
 * Output need not match Go byte for byte; any valid block decodes on both sides.
 *
 * @module
 */

import { MalformedMessageError } from "../errors.ts";

/** Largest input encodeBlock handles in one go (and the framing format's chunk limit). */
export const MAX_BLOCK_SIZE = 65536;
const INPUT_MARGIN = 16 - 1;
const MIN_NON_LITERAL_BLOCK_SIZE = 1 + 1 + INPUT_MARGIN;
const MAX_TABLE_SIZE = 1 << 14;
const TABLE_MASK = MAX_TABLE_SIZE - 1;

/** Upper bound of the encoded size of `n` input bytes (Go MaxEncodedLen). */
export function maxEncodedLen(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

// Encoding is synchronous, so one shared hash table serves every call.
const table = new Uint16Array(MAX_TABLE_SIZE);

function load32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function emitLiteral(
  dst: Uint8Array,
  d: number,
  src: Uint8Array,
  from: number,
  to: number,
): number {
  const n = to - from - 1;
  if (n < 60) {
    dst[d++] = n << 2;
  } else if (n < 256) {
    dst[d++] = 60 << 2;
    dst[d++] = n;
  } else {
    dst[d++] = 61 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  }
  if (n < 16) {
    for (let i = from; i < to; i++) dst[d++] = src[i];
    return d;
  }
  dst.set(src.subarray(from, to), d);
  return d + n + 1;
}

function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  while (length >= 68) {
    dst[d] = (63 << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    d += 3;
    length -= 64;
  }
  if (length > 64) {
    dst[d] = (59 << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    d += 3;
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    dst[d] = ((length - 1) << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    return d + 3;
  }
  dst[d] = ((offset >>> 8) << 5) | ((length - 4) << 2) | 1;
  dst[d + 1] = offset & 0xff;
  return d + 2;
}

/** Go encodeBlock: src.length in [MIN_NON_LITERAL_BLOCK_SIZE, MAX_BLOCK_SIZE]. */
function encodeBlock(dst: Uint8Array, d: number, src: Uint8Array): number {
  const len = src.byteLength;
  let shift = 32 - 8;
  for (let size = 1 << 8; size < MAX_TABLE_SIZE && size < len; size *= 2) shift--;
  table.fill(0, 0, 1 << (32 - shift));
  const sLimit = len - INPUT_MARGIN;
  let nextEmit = 0;
  let s = 1;
  let nextHash = Math.imul(load32(src, s), 0x1e35a7bd) >>> shift;

  outer: while (true) {
    let skip = 32;
    let nextS = s;
    let candidate = 0;
    let found = false;
    while (!found) {
      s = nextS;
      const step = skip >> 5;
      nextS = s + step;
      skip += step;
      if (nextS > sLimit) break outer;
      candidate = table[nextHash & TABLE_MASK];
      table[nextHash & TABLE_MASK] = s;
      nextHash = Math.imul(load32(src, nextS), 0x1e35a7bd) >>> shift;
      found = load32(src, s) === load32(src, candidate);
    }
    d = emitLiteral(dst, d, src, nextEmit, s);
    while (true) {
      const base = s;
      s += 4;
      for (let i = candidate + 4; s < len && src[i] === src[s]; i++, s++);
      d = emitCopy(dst, d, base - candidate, s - base);
      nextEmit = s;
      if (s >= sLimit) break outer;
      const x0 = load32(src, s - 1);
      const x1 = load32(src, s);
      const prevHash = Math.imul(x0, 0x1e35a7bd) >>> shift;
      table[prevHash & TABLE_MASK] = s - 1;
      const currHash = Math.imul(x1, 0x1e35a7bd) >>> shift;
      candidate = table[currHash & TABLE_MASK];
      table[currHash & TABLE_MASK] = s;
      if (x1 !== load32(src, candidate)) {
        nextHash = Math.imul(load32(src, s + 1), 0x1e35a7bd) >>> shift;
        s++;
        break;
      }
    }
  }
  if (nextEmit < len) d = emitLiteral(dst, d, src, nextEmit, len);
  return d;
}

/**
 * Snappy-compresses `src` into `dst` (which needs maxEncodedLen(src.length) bytes) and
 * returns the encoded length.
 */
export function encodeSnappyBlock(src: Uint8Array, dst: Uint8Array): number {
  let n = src.byteLength;
  let d = 0;
  while (n >= 0x80) {
    dst[d++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  dst[d++] = n;
  for (let off = 0; off < src.byteLength; off += MAX_BLOCK_SIZE) {
    const p = src.subarray(off, Math.min(off + MAX_BLOCK_SIZE, src.byteLength));
    d = p.byteLength < MIN_NON_LITERAL_BLOCK_SIZE
      ? emitLiteral(dst, d, p, 0, p.byteLength)
      : encodeBlock(dst, d, p);
  }
  return d;
}

function corrupt(what: string): never {
  throw new MalformedMessageError(`Cannot decode snappy block: ${what}`);
}

/** Reads the uncompressed length varint: [length, header bytes]. */
export function snappyDecodedLen(src: Uint8Array): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < src.byteLength; i++) {
    const b = src[i];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) corrupt("length overflows uint32");
      return [v, i + 1];
    }
    mul *= 128;
  }
  return corrupt("bad length varint");
}

/**
 * Decodes a snappy block into `dst` (which must hold snappyDecodedLen bytes) and returns
 * the decoded length. Throws MalformedMessageError on corrupt input.
 */
export function decodeSnappyBlock(src: Uint8Array, dst: Uint8Array): number {
  const [dLen, h] = snappyDecodedLen(src);
  if (dLen > dst.byteLength) corrupt(`decoded length ${dLen} exceeds ${dst.byteLength}`);
  const sLen = src.byteLength;
  let s = h;
  let d = 0;
  while (s < sLen) {
    const tag = src[s];
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        if (x < 60) {
          s++;
        } else {
          const extra = x - 59;
          s += 1 + extra;
          if (s > sLen) corrupt("truncated literal length");
          x = src[s - extra];
          if (extra > 1) x |= src[s - extra + 1] << 8;
          if (extra > 2) x |= src[s - extra + 2] << 16;
          if (extra > 3) x = (x | (src[s - 1] << 24)) >>> 0;
        }
        length = x + 1;
        if (length > dLen - d || length > sLen - s) corrupt("literal overruns");
        if (length < 16) {
          for (let i = 0; i < length; i++) dst[d + i] = src[s + i];
        } else {
          dst.set(src.subarray(s, s + length), d);
        }
        d += length;
        s += length;
        continue;
      }
      case 1:
        s += 2;
        if (s > sLen) corrupt("truncated copy1");
        length = 4 + ((tag >>> 2) & 7);
        offset = ((tag & 0xe0) << 3) | src[s - 1];
        break;
      case 2:
        s += 3;
        if (s > sLen) corrupt("truncated copy2");
        length = 1 + (tag >>> 2);
        offset = src[s - 2] | (src[s - 1] << 8);
        break;
      default:
        s += 5;
        if (s > sLen) corrupt("truncated copy4");
        length = 1 + (tag >>> 2);
        offset = (src[s - 4] | (src[s - 3] << 8) | (src[s - 2] << 16) | (src[s - 1] << 24)) >>> 0;
    }
    if (offset <= 0 || d < offset || length > dLen - d) corrupt("bad copy");
    if (offset >= length && length >= 16) {
      dst.copyWithin(d, d - offset, d - offset + length);
    } else {
      for (let i = 0; i < length; i++) dst[d + i] = dst[d - offset + i];
    }
    d += length;
  }
  if (d !== dLen) corrupt("decoded length mismatch");
  return d;
}
