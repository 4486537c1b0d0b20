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

/** Keystream copied to the alignment of src/dst, so the XOR can run on 32-bit words. */
let scratch = new Uint8Array(0);

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
  const so = src.byteOffset + head;
  const dso = dst.byteOffset + head;
  let j = 0;
  if ((so & 3) === (dso & 3) && rest >= 64) {
    // Bytes up to a word boundary of src/dst, then words. The keystream usually sits at
    // another alignment (chunk sizes are not multiples of 4): copy it to theirs, a memcpy
    // being far cheaper than a byte-wise XOR.
    const lead = (4 - (so & 3)) & 3;
    for (; j < lead; j++) dst[head + j] = src[head + j] ^ more[j];
    const w = (rest - lead) >>> 2;
    let m = more;
    let mo = more.byteOffset + lead;
    if ((mo & 3) !== 0) {
      if (scratch.byteLength < rest) scratch = new Uint8Array(Math.max(rest, 64 * 1024));
      scratch.set(more.subarray(lead, lead + w * 4));
      m = scratch;
      mo = 0;
    }
    const s32 = new Uint32Array(src.buffer, so + lead, w);
    const d32 = new Uint32Array(dst.buffer, dso + lead, w);
    const m32 = new Uint32Array(m.buffer, mo, w);
    for (let i = 0; i < w; i++) d32[i] = s32[i] ^ m32[i];
    j = lead + w * 4;
  }
  for (; j < rest; j++) dst[head + j] = src[head + j] ^ more[j];
}

/** Below this many whole blocks per call the sync node:crypto path wins (WebCrypto costs ~45 µs a call). */
const ASYNC_MIN_BYTES = 32 * 1024;

/**
 * CFB128 encrypter: `update`/`updateAsync` may be called with chunks of any size, one at a
 * time. CFB's keystream is a CBC chain over the plaintext: with X_0 = E(IV), CBC block i is
 * E(P_i ^ K_i) = E(C_i) = K_(i+1). Each call runs a fresh CBC over its whole blocks with the
 * current keystream block as IV, so no cipher object carries state between calls and the
 * fast WebCrypto AES-CBC (2-3x node:crypto's here) can take the large ones.
 */
export class CfbEncrypter {
  readonly #key: Uint8Array;
  #subtleKey: Promise<CryptoKey> | null = null;
  // Own copy: holding a view would pin the whole cipher output buffer.
  readonly #ks: Uint8Array;
  #pos = 0;
  /** Plaintext bytes of the current, incomplete block (first #pos bytes valid). */
  readonly #partial = new Uint8Array(BLOCK_SIZE);

  constructor(key: Uint8Array, iv: Uint8Array) {
    check(key, iv);
    this.#key = key.slice();
    this.#ks = new Uint8Array(ecbCipher(key).update(iv));
  }

  /** Encrypts `src` into `dst` (default: in place) and returns the written view. */
  update(src: Uint8Array, dst: Uint8Array = src): Uint8Array {
    const input = this.#begin(src, dst);
    if (input === null) return this.#finish(src, dst, EMPTY);
    const cbc = createCipheriv("aes-128-cbc", this.#key, this.#ks);
    cbc.setAutoPadding(false);
    return this.#finish(src, dst, cbc.update(input));
  }

  /**
   * Same as `update`, on WebCrypto when the call covers enough whole blocks. `src` must not
   * change until the promise settles; calls must not overlap.
   */
  async updateAsync(src: Uint8Array, dst: Uint8Array = src): Promise<Uint8Array> {
    const n = src.byteLength;
    const lead = (BLOCK_SIZE - this.#pos) % BLOCK_SIZE;
    if (n - lead < ASYNC_MIN_BYTES || !globalThis.crypto?.subtle) return this.update(src, dst);
    if (dst.byteLength < n) throw new RangeError("CFB: destination too small");
    // Finish the block straddling the previous call first, so WebCrypto reads straight
    // from `src` rather than from a copy joined with the saved partial block.
    if (lead > 0) this.update(src.subarray(0, lead), dst);
    const rest = src.subarray(lead);
    const whole = rest.byteLength & ~(BLOCK_SIZE - 1);
    this.#subtleKey ??= crypto.subtle.importKey(
      "raw",
      this.#key as Uint8Array<ArrayBuffer>,
      "AES-CBC",
      false,
      ["encrypt"],
    );
    // WebCrypto pads, adding one block at the end; the blocks before it are plain CBC.
    const out = await crypto.subtle.encrypt(
      { name: "AES-CBC", iv: this.#ks.slice() },
      await this.#subtleKey,
      rest.subarray(0, whole) as Uint8Array<ArrayBuffer>,
    );
    this.#finish(rest, dst.subarray(lead), new Uint8Array(out, 0, whole));
    return dst.subarray(0, n);
  }

  /** Checks sizes and returns the whole-block CBC input of this call (null if none). */
  #begin(src: Uint8Array, dst: Uint8Array): Uint8Array | null {
    if (dst.byteLength < src.byteLength) throw new RangeError("CFB: destination too small");
    const pos = this.#pos;
    const whole = (pos + src.byteLength) & ~(BLOCK_SIZE - 1);
    if (whole === 0) return null;
    if (pos === 0) return src.subarray(0, whole);
    // Copy: dst may alias src, and the XOR runs after the cipher (which may be async).
    const input = new Uint8Array(whole);
    input.set(this.#partial.subarray(0, pos));
    input.set(src.subarray(0, whole - pos), pos);
    return input;
  }

  /** XORs with the keystream (`more` = the CBC output of this call) and advances the state. */
  #finish(src: Uint8Array, dst: Uint8Array, more: Uint8Array): Uint8Array {
    const n = src.byteLength;
    const pos = this.#pos;
    const end = pos + n;
    const tail = end % BLOCK_SIZE;
    // Save the plaintext of the new partial block before an in-place XOR overwrites it.
    if (more.byteLength > 0) this.#partial.set(src.subarray(n - tail));
    else this.#partial.set(src, pos);
    xorStream(src, dst, n, this.#ks, pos, more);
    if (more.byteLength > 0) this.#ks.set(more.subarray(more.byteLength - BLOCK_SIZE));
    this.#pos = tail;
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
    if (pos !== 0 && n >= SPLIT_MIN_BYTES) {
      // Finish the straddling block alone: the rest then needs no joined copy for ECB.
      const lead = BLOCK_SIZE - pos;
      this.update(src.subarray(0, lead), dst);
      this.update(src.subarray(lead), dst.subarray(lead));
      return dst.subarray(0, n);
    }
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
/** From this size a call is split at the block boundary rather than copied whole. */
const SPLIT_MIN_BYTES = 4096;
