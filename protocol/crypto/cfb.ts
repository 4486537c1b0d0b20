/**
 * Streaming AES-128-CFB128 (Go cipher.NewCFBEncrypter/Decrypter), built on node:crypto
 * which has no CFB: encryption runs one streaming CBC cipher whose outputs are the CFB
 * keystream; decryption runs one ECB update per chunk over the previous ciphertext blocks.
 * Chunks may have any size; the keystream position carries over between calls.
 *
 * @module
 */

import { createCipheriv } from "node:crypto";

/** AES block size in bytes (also the IV length). */
export const BLOCK_SIZE = 16;

function check(key: Uint8Array, iv: Uint8Array): void {
  if (key.byteLength !== 16) {
    throw new RangeError(`AES-128 key must be 16 bytes, not ${key.byteLength}`);
  }
  if (iv.byteLength !== BLOCK_SIZE) {
    throw new RangeError(`IV must be 16 bytes, not ${iv.byteLength}`);
  }
}

function ecbCipher(key: Uint8Array) {
  const c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return c;
}

/**
 * dst[j] = src[j] ^ keystream[j], where keystream = ks[pos..16] followed by `more`.
 * src and dst may be the same array.
 */
function xorStream(
  src: Uint8Array,
  dst: Uint8Array,
  n: number,
  ks: Uint8Array,
  pos: number,
  more: Uint8Array,
): void {
  const head = Math.min(n, BLOCK_SIZE - pos);
  for (let j = 0; j < head; j++) dst[j] = src[j] ^ ks[pos + j];
  const rest = n - head;
  if (rest <= 0) return;
  let j = 0;
  const fast = rest & ~3;
  const so = src.byteOffset + head;
  const dso = dst.byteOffset + head;
  if (((so | dso | more.byteOffset) & 3) === 0 && fast >= 64) {
    // Aligned: XOR 32 bits at a time (several times faster than bytes).
    const w = fast >>> 2;
    const s32 = new Uint32Array(src.buffer, so, w);
    const d32 = new Uint32Array(dst.buffer, dso, w);
    const m32 = new Uint32Array(more.buffer, more.byteOffset, w);
    for (let i = 0; i < w; i++) d32[i] = s32[i] ^ m32[i];
    j = fast;
  }
  for (; j < fast; j += 4) {
    const d = head + j;
    dst[d] = src[d] ^ more[j];
    dst[d + 1] = src[d + 1] ^ more[j + 1];
    dst[d + 2] = src[d + 2] ^ more[j + 2];
    dst[d + 3] = src[d + 3] ^ more[j + 3];
  }
  for (; j < rest; j++) dst[head + j] = src[head + j] ^ more[j];
}

/** CFB128 encrypter: `update` may be called with chunks of any size. */
export class CfbEncrypter {
  // CBC(IV' = E(IV)) over the plaintext yields Y_i = E(C_i) = keystream of block i+1.
  readonly #cbc;
  // Own copy: holding a view would pin the whole (up to 64 KiB) cipher output buffer.
  readonly #ks: Uint8Array;
  #pos = 0;

  constructor(key: Uint8Array, iv: Uint8Array) {
    check(key, iv);
    this.#ks = new Uint8Array(ecbCipher(key).update(iv));
    this.#cbc = createCipheriv("aes-128-cbc", key, this.#ks);
    this.#cbc.setAutoPadding(false);
  }

  /** Encrypts `src` into `dst` (default: in place) and returns the written view. */
  update(src: Uint8Array, dst: Uint8Array = src): Uint8Array {
    const n = src.byteLength;
    if (n === 0) return dst.subarray(0, 0);
    if (dst.byteLength < n) throw new RangeError("CFB: destination too small");
    // Must run before the XOR: dst may alias src and CBC needs the plaintext.
    const more: Uint8Array = this.#cbc.update(src);
    xorStream(src, dst, n, this.#ks, this.#pos, more);
    if (more.byteLength > 0) this.#ks.set(more.subarray(more.byteLength - BLOCK_SIZE));
    this.#pos = (this.#pos + n) % BLOCK_SIZE;
    return dst.subarray(0, n);
  }
}

/** CFB128 decrypter: `update` may be called with chunks of any size, in place. */
export class CfbDecrypter {
  readonly #ecb;
  // Own copy: holding a view would pin the whole (up to 64 KiB) cipher output buffer.
  readonly #ks: Uint8Array;
  #pos = 0;
  /** Ciphertext bytes of the current, incomplete block (first #pos bytes valid). */
  readonly #partial = new Uint8Array(BLOCK_SIZE);

  constructor(key: Uint8Array, iv: Uint8Array) {
    check(key, iv);
    this.#ecb = ecbCipher(key);
    this.#ks = new Uint8Array(this.#ecb.update(iv));
  }

  /** Decrypts `src` into `dst` (default: in place) and returns the written view. */
  update(src: Uint8Array, dst: Uint8Array = src): Uint8Array {
    const n = src.byteLength;
    if (n === 0) return dst.subarray(0, 0);
    if (dst.byteLength < n) throw new RangeError("CFB: destination too small");
    const pos = this.#pos;
    const end = pos + n;
    const blocks = Math.floor(end / BLOCK_SIZE);
    const tail = end % BLOCK_SIZE;
    let more: Uint8Array = EMPTY;
    if (blocks > 0) {
      // Keystream of each following block = E(ciphertext of the block before it).
      let input: Uint8Array;
      if (pos === 0) {
        input = src.subarray(0, blocks * BLOCK_SIZE);
      } else {
        input = new Uint8Array(blocks * BLOCK_SIZE);
        input.set(this.#partial.subarray(0, pos));
        input.set(src.subarray(0, blocks * BLOCK_SIZE - pos), pos);
      }
      more = this.#ecb.update(input);
      this.#partial.set(src.subarray(n - tail));
    } else {
      this.#partial.set(src, pos);
    }
    xorStream(src, dst, n, this.#ks, pos, more);
    if (blocks > 0) this.#ks.set(more.subarray(more.byteLength - BLOCK_SIZE));
    this.#pos = tail;
    return dst.subarray(0, n);
  }
}

const EMPTY = new Uint8Array(0);
