/**
 * golib crypto.NewReader/NewWriter as a Duplex: each direction is its own CFB stream with
 * a random IV sent in clear right before that direction's first ciphertext byte.
 *
 * @module
 */

import { randomFillSync } from "node:crypto";
import type { Duplex } from "../duplex.ts";
import { UnexpectedEofError } from "../errors.ts";
import { readFull, writeAll } from "../io.ts";
import { BLOCK_SIZE, CfbDecrypter, CfbEncrypter } from "./cfb.ts";

/** Largest write buffer kept between writes; bigger writes use a one-off buffer. */
const MAX_KEPT_BUFFER = 64 * 1024 + BLOCK_SIZE;

class CryptoDuplex implements Duplex {
  readonly #inner: Duplex;
  readonly #key: Uint8Array;
  #enc: CfbEncrypter | null = null;
  #dec: CfbDecrypter | null = null;
  #wbuf: Uint8Array = new Uint8Array(0);
  #writing = false;
  #encrypting: Promise<void> = Promise.resolve();

  constructor(inner: Duplex, key: Uint8Array) {
    this.#inner = inner;
    this.#key = key;
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (this.#dec === null) {
      const iv = new Uint8Array(BLOCK_SIZE);
      try {
        await readFull(this.#inner, iv);
      } catch (err) {
        // A direction that never carried data never sent its IV: a plain EOF.
        if (err instanceof UnexpectedEofError && err.atBoundary) return null;
        throw err;
      }
      this.#dec ??= new CfbDecrypter(this.#key, iv);
    }
    const n = await this.#inner.read(p);
    if (n === null || n === 0) return n;
    this.#dec.update(p.subarray(0, n));
    return n;
  }

  /** Encrypts and writes all of `p` (CFB state advanced, so no partial writes). */
  async write(p: Uint8Array): Promise<number> {
    const n = p.byteLength;
    if (n === 0) return 0;
    // Large writes encrypt asynchronously: later writes wait for the keystream to advance,
    // and inner writes start in call order, as with the sync path.
    const prev = this.#encrypting;
    let done!: () => void;
    this.#encrypting = new Promise<void>((r) => done = r);
    let buf: Uint8Array;
    let need: number;
    let reuse = false;
    let sent: Promise<void>;
    try {
      await prev;
      let off = 0;
      if (this.#enc === null) off = BLOCK_SIZE;
      need = off + n;
      // Reuse the write buffer unless a previous write is still in flight with it.
      buf = this.#wbuf;
      reuse = !this.#writing && need <= MAX_KEPT_BUFFER;
      if (!reuse || buf.byteLength < need) {
        const grown = Math.min(MAX_KEPT_BUFFER, Math.max(need, 2 * buf.byteLength, 4096));
        buf = new Uint8Array(reuse ? grown : need);
        if (reuse) this.#wbuf = buf;
      }
      if (this.#enc === null) {
        const iv = buf.subarray(0, BLOCK_SIZE);
        randomFillSync(iv);
        this.#enc = new CfbEncrypter(this.#key, iv);
      }
      if (reuse) this.#writing = true;
      await this.#enc.updateAsync(p, buf.subarray(off, need));
      sent = writeAll(this.#inner, buf.subarray(0, need));
    } catch (err) {
      if (reuse) this.#writing = false;
      throw err;
    } finally {
      done();
    }
    try {
      await sent;
    } finally {
      if (reuse) this.#writing = false;
    }
    return n;
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): void {
    this.#wbuf = new Uint8Array(0);
    this.#inner.close();
  }
}

/**
 * Wraps `inner` with frp's AES-128-CFB stream encryption (control channel, useEncryption
 * work/visitor conns). `key` comes from deriveKey(token or secretKey).
 */
export function cryptoDuplex(inner: Duplex, key: Uint8Array): Duplex {
  return new CryptoDuplex(inner, key);
}
