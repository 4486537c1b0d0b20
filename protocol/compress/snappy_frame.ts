/**
 * snappy framing format as golang/snappy v0.0.4's *unbuffered* Writer/Reader speak it
 * (wire-v1.md §9.3): each write becomes chunks right away (frp never flushes), and the
 * reader enforces Go's acceptance rules so we reject exactly what Go rejects.
 *
 * @module
 */

import type { Duplex } from "../duplex.ts";
import { MalformedMessageError, UnexpectedEofError } from "../errors.ts";
import { BufferPool, readFull, writeAll } from "../io.ts";
import { maskedCrc32c } from "./crc32c.ts";
import {
  decodeSnappyBlock,
  encodeSnappyBlock,
  MAX_BLOCK_SIZE,
  maxEncodedLen,
  snappyDecodedLen,
} from "./snappy_block.ts";

/** `FF 06 00 00 "sNaPpY"`: sent once, before the first data chunk. */
export const STREAM_IDENTIFIER: Uint8Array = new Uint8Array([
  0xff,
  0x06,
  0x00,
  0x00,
  0x73,
  0x4e,
  0x61,
  0x50,
  0x70,
  0x59,
]);
const CHUNK_COMPRESSED = 0x00;
const CHUNK_UNCOMPRESSED = 0x01;
const CHUNK_STREAM_ID = 0xff;
const CHUNK_HEADER = 4;
const CHECKSUM = 4;
/** Go Reader's buffer: maxEncodedLen(65536) + checksum; longer chunks are unsupported. */
export const MAX_CHUNK_LENGTH = maxEncodedLen(MAX_BLOCK_SIZE) + CHECKSUM;
/** Chunks gathered into one inner write: fewer, larger writes for the cipher and socket below. */
const CHUNKS_PER_WRITE = 4;
const OBUF_SIZE = STREAM_IDENTIFIER.byteLength +
  CHUNKS_PER_WRITE * (CHUNK_HEADER + MAX_CHUNK_LENGTH);

// Large buffers are borrowed per operation, so idle streams hold almost nothing.
const outPool = new BufferPool(OBUF_SIZE, 8);
const chunkPool = new BufferPool(MAX_CHUNK_LENGTH, 16);
const decodedPool = new BufferPool(MAX_BLOCK_SIZE, 16);

/**
 * Encodes one ≤64 KiB piece as a chunk into `out` at `off` (type 0x00 unless compression
 * saves less than 12.5%, then 0x01, as Go decides) and returns the end offset.
 */
export function encodeChunk(piece: Uint8Array, out: Uint8Array, off: number): number {
  const n = piece.byteLength;
  const checksum = maskedCrc32c(piece);
  const body = off + CHUNK_HEADER + CHECKSUM;
  const clen = encodeSnappyBlock(piece, out.subarray(body));
  let type = CHUNK_COMPRESSED;
  let dataLen = clen;
  if (clen >= n - (n >>> 3)) {
    type = CHUNK_UNCOMPRESSED;
    dataLen = n;
    out.set(piece, body);
  }
  const chunkLen = CHECKSUM + dataLen;
  out[off] = type;
  out[off + 1] = chunkLen & 0xff;
  out[off + 2] = (chunkLen >>> 8) & 0xff;
  out[off + 3] = chunkLen >>> 16;
  out[off + 4] = checksum & 0xff;
  out[off + 5] = (checksum >>> 8) & 0xff;
  out[off + 6] = (checksum >>> 16) & 0xff;
  out[off + 7] = checksum >>> 24;
  return body + dataLen;
}

function corrupt(what: string): never {
  throw new MalformedMessageError(`Cannot decode snappy stream: ${what}`);
}

class SnappyDuplex implements Duplex {
  readonly #inner: Duplex;
  #wroteHeader = false;
  #readHeader = false;
  readonly #hdr = new Uint8Array(CHUNK_HEADER);
  /** Decoded bytes not yet handed to the caller (borrowed from decodedPool). */
  #decoded: Uint8Array | null = null;
  #di = 0;
  #dj = 0;
  #err: unknown = null;

  constructor(inner: Duplex) {
    this.#inner = inner;
  }

  /**
   * Compresses all of `p` as ≤64 KiB chunks (Go's chunking, so the bytes are Go's), sending up
   * to CHUNKS_PER_WRITE of them per inner write where Go writes each one.
   */
  async write(p: Uint8Array): Promise<number> {
    const out = outPool.get();
    try {
      let end = 0;
      if (!this.#wroteHeader) {
        this.#wroteHeader = true;
        out.set(STREAM_IDENTIFIER);
        end = STREAM_IDENTIFIER.byteLength;
      }
      for (let off = 0; off < p.byteLength; off += MAX_BLOCK_SIZE) {
        if (end + CHUNK_HEADER + MAX_CHUNK_LENGTH > out.byteLength) {
          await writeAll(this.#inner, out.subarray(0, end));
          end = 0;
        }
        const piece = p.subarray(off, Math.min(off + MAX_BLOCK_SIZE, p.byteLength));
        end = encodeChunk(piece, out, end);
      }
      if (end > 0) await writeAll(this.#inner, out.subarray(0, end));
    } finally {
      outPool.put(out);
    }
    return p.byteLength;
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (this.#err !== null) throw this.#err;
    if (p.byteLength === 0) return 0;
    while (this.#decoded === null) {
      let n: number | null;
      try {
        n = await this.#fill(p);
      } catch (err) {
        // Like Go's Reader, a corrupt stream stays failed.
        this.#err = err;
        throw err;
      }
      if (n !== 0) return n;
    }
    const n = Math.min(p.byteLength, this.#dj - this.#di);
    p.set(this.#decoded.subarray(this.#di, this.#di + n));
    this.#di += n;
    if (this.#di >= this.#dj) {
      decodedPool.put(this.#decoded);
      this.#decoded = null;
    }
    return n;
  }

  /**
   * Reads chunks until one carries data. Decodes straight into `p` when it fits (returns
   * the count), else into a pooled buffer (returns 0). null at a clean end of stream.
   */
  async #fill(p: Uint8Array): Promise<number | null> {
    while (true) {
      const hdr = this.#hdr;
      try {
        await readFull(this.#inner, hdr);
      } catch (err) {
        if (err instanceof UnexpectedEofError && err.atBoundary) return null;
        throw err;
      }
      const type = hdr[0];
      if (!this.#readHeader) {
        if (type !== CHUNK_STREAM_ID) corrupt("missing stream identifier");
        this.#readHeader = true;
      }
      const len = hdr[1] | (hdr[2] << 8) | (hdr[3] << 16);
      if (len > MAX_CHUNK_LENGTH) corrupt(`chunk length ${len} exceeds ${MAX_CHUNK_LENGTH}`);
      if (type === CHUNK_COMPRESSED) return await this.#compressed(p, len);
      if (type === CHUNK_UNCOMPRESSED) return await this.#uncompressed(p, len);
      if (type === CHUNK_STREAM_ID) {
        if (len !== 6) corrupt("bad stream identifier length");
        const body = new Uint8Array(6);
        await this.#readBody(body);
        for (let i = 0; i < 6; i++) {
          if (body[i] !== STREAM_IDENTIFIER[4 + i]) corrupt("bad stream identifier");
        }
        continue;
      }
      if (type <= 0x7f) corrupt(`reserved unskippable chunk type 0x${type.toString(16)}`);
      // 0x80–0xFE: skippable (0xFE = padding).
      const skip = chunkPool.get();
      try {
        await this.#readBody(skip.subarray(0, len));
      } finally {
        chunkPool.put(skip);
      }
    }
  }

  async #readBody(buf: Uint8Array): Promise<void> {
    try {
      await readFull(this.#inner, buf);
    } catch (err) {
      if (err instanceof UnexpectedEofError) {
        throw new UnexpectedEofError("Cannot decode snappy stream: truncated chunk");
      }
      throw err;
    }
  }

  async #compressed(p: Uint8Array, len: number): Promise<number> {
    if (len < CHECKSUM) corrupt("short compressed chunk");
    const chunk = chunkPool.get();
    try {
      const buf = chunk.subarray(0, len);
      await this.#readBody(buf);
      const checksum = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
      const block = buf.subarray(CHECKSUM);
      const [n] = snappyDecodedLen(block);
      if (n > MAX_BLOCK_SIZE) corrupt(`decoded chunk ${n} exceeds ${MAX_BLOCK_SIZE}`);
      const direct = n > 0 && n <= p.byteLength;
      const dst = direct ? p : decodedPool.get();
      try {
        decodeSnappyBlock(block, dst);
        if (maskedCrc32c(dst.subarray(0, n)) !== checksum) corrupt("checksum mismatch");
      } catch (err) {
        if (!direct) decodedPool.put(dst);
        throw err;
      }
      return direct ? n : this.#keep(dst, n);
    } finally {
      chunkPool.put(chunk);
    }
  }

  async #uncompressed(p: Uint8Array, len: number): Promise<number> {
    if (len < CHECKSUM) corrupt("short uncompressed chunk");
    const n = len - CHECKSUM;
    if (n > MAX_BLOCK_SIZE) corrupt(`uncompressed chunk ${n} exceeds ${MAX_BLOCK_SIZE}`);
    const sum = this.#hdr;
    await this.#readBody(sum);
    const checksum = (sum[0] | (sum[1] << 8) | (sum[2] << 16) | (sum[3] << 24)) >>> 0;
    const direct = n > 0 && n <= p.byteLength;
    const dst = direct ? p : decodedPool.get();
    try {
      await this.#readBody(dst.subarray(0, n));
      if (maskedCrc32c(dst.subarray(0, n)) !== checksum) corrupt("checksum mismatch");
    } catch (err) {
      if (!direct) decodedPool.put(dst);
      throw err;
    }
    return direct ? n : this.#keep(dst, n);
  }

  #keep(buf: Uint8Array, n: number): number {
    if (n === 0) {
      decodedPool.put(buf);
      return 0;
    }
    this.#decoded = buf;
    this.#di = 0;
    this.#dj = n;
    return 0;
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): void {
    if (this.#decoded !== null) decodedPool.put(this.#decoded);
    this.#decoded = null;
    this.#inner.close();
  }
}

/**
 * Wraps `inner` with golang/snappy framing (frp useCompression): writes are compressed and
 * sent at once; reads decode chunks, keeping leftover decoded bytes for the next read.
 */
export function snappyDuplex(inner: Duplex): Duplex {
  return new SnappyDuplex(inner);
}
