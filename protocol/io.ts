/**
 * Byte-stream helpers shared by every layer: exact reads, full writes, replaying sniffed
 * bytes, and the relay loop that carries all proxied traffic (the hot path).
 *
 * @module
 */

import type { Duplex } from "./duplex.ts";
import { UnexpectedEofError } from "./errors.ts";

/**
 * Fills `buf` completely from `r`. Throws {@link UnexpectedEofError} on EOF; its
 * `atBoundary` is true when EOF came before the first byte (a clean close between units).
 */
export async function readFull(r: Duplex, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.byteLength) {
    const n = await r.read(off === 0 ? buf : buf.subarray(off));
    if (n === null) {
      throw new UnexpectedEofError(
        `Cannot read ${buf.byteLength} bytes: stream ended after ${off}`,
        off === 0,
      );
    }
    off += n;
  }
}

/** One buffer holding `parts` in order (tests, fixtures and one-off encoders; not the data path). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Writes all of `buf`, looping over partial writes (a socket write may take only a prefix). */
export async function writeAll(w: Duplex, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.byteLength) {
    const n = await w.write(off === 0 ? buf : buf.subarray(off));
    if (n <= 0) throw new Error(`Cannot write: write() returned ${n}`);
    off += n;
  }
}

/**
 * A duplex that first replays bytes already read from `inner` (e.g. while sniffing the
 * first bytes of a connection), then reads from `inner` itself. Writes go straight through.
 */
export class PrefixedDuplex implements Duplex {
  /** The wrapped stream. */
  readonly inner: Duplex;
  #prefix: Uint8Array | null;

  constructor(inner: Duplex, prefix: Uint8Array) {
    this.inner = inner;
    this.#prefix = prefix.byteLength > 0 ? prefix : null;
  }

  /** Serves the prefix first (never mixing it with inner bytes in one call), then delegates. */
  read(p: Uint8Array): Promise<number | null> {
    const pre = this.#prefix;
    if (pre === null || p.byteLength === 0) return this.inner.read(p);
    const n = Math.min(pre.byteLength, p.byteLength);
    p.set(n === pre.byteLength ? pre : pre.subarray(0, n));
    this.#prefix = n === pre.byteLength ? null : pre.subarray(n);
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    return this.inner.write(p);
  }

  closeWrite(): Promise<void> {
    return this.inner.closeWrite();
  }

  close(): void {
    this.#prefix = null;
    this.inner.close();
  }
}

/**
 * A free list of equally sized buffers, so bursts borrow a large buffer and idle
 * connections hold only a small one (deno-platform.md §10: ~24 KiB per idle pair).
 */
export class BufferPool {
  /** Size of every buffer handed out. */
  readonly size: number;
  readonly #max: number;
  readonly #free: Uint8Array[] = [];

  constructor(size = 64 * 1024, maxFree = 64) {
    this.size = size;
    this.#max = maxFree;
  }

  /** Borrows a buffer of {@link size} bytes (contents unspecified). */
  get(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.size);
  }

  /** Returns a buffer; buffers of the wrong size, or beyond the free-list cap, are dropped. */
  put(buf: Uint8Array): void {
    if (buf.byteLength === this.size && this.#free.length < this.#max) this.#free.push(buf);
  }

  /** Number of buffers currently waiting in the free list. */
  get freeCount(): number {
    return this.#free.length;
  }
}

/**
 * The pool used by {@link relay} unless one is passed in: 256 KiB burst buffers (fewer reads,
 * yamux frames and TLS writes per byte than 64 KiB: −8% frps CPU per GiB on tcp bulk), at most
 * 16 kept free.
 */
export const defaultBufferPool: BufferPool = new BufferPool(256 * 1024, 16);

/** Size of the per-direction buffer a relay holds while traffic is light. */
export const RELAY_SMALL_BUFFER = 4 * 1024;

/** Options for {@link relay}. */
export interface RelayOptions {
  /** Called after each chunk is fully written: "ab" = read from a, written to b. */
  onBytes?: (dir: "ab" | "ba", n: number) => void;
  /** Called once with the first error that tore the relay down (reset, write failure…). */
  onError?: (err: unknown) => void;
  /** Pool for burst buffers; defaults to {@link defaultBufferPool}. */
  pool?: BufferPool;
}

/**
 * Copies bytes both ways until both directions end. EOF on one side half-closes the other
 * (closeWrite) and the opposite direction keeps going; once both ended, both are closed.
 * An error in either direction closes both and resolves at once. Never rejects: errors go
 * to `opts.onError` (only the first). Resolves to the byte counts fully written each way.
 */
export function relay(
  a: Duplex,
  b: Duplex,
  opts: RelayOptions = {},
): Promise<{ aToB: number; bToA: number }> {
  const pool = opts.pool ?? defaultBufferPool;
  const onBytes = opts.onBytes;
  const counts = { aToB: 0, bToA: 0 };
  let finished = false;
  let resolveDone!: (v: { aToB: number; bToA: number }) => void;
  const done = new Promise<{ aToB: number; bToA: number }>((r) => (resolveDone = r));
  const finish = (): void => {
    if (finished) return;
    finished = true;
    safeClose(a);
    safeClose(b);
    resolveDone(counts);
  };
  const fail = (err: unknown): void => {
    if (finished) return;
    // Resolve now: the other pump ends when its read fails on the closed stream.
    finish();
    try {
      opts.onError?.(err);
    } catch {
      // A throwing callback must not become an unhandled rejection.
    }
  };

  const pump = async (src: Duplex, dst: Duplex, dir: "ab" | "ba"): Promise<void> => {
    const small = new Uint8Array(RELAY_SMALL_BUFFER);
    let big: Uint8Array | null = null;
    try {
      while (!finished) {
        const buf: Uint8Array = big ?? small;
        const n = await src.read(buf);
        if (n === null) break;
        await writeAll(dst, n === buf.byteLength ? buf : buf.subarray(0, n));
        if (dir === "ab") counts.aToB += n;
        else counts.bToA += n;
        onBytes?.(dir, n);
        if (big === null) {
          // A full small read means a burst: borrow a large buffer for the next reads.
          if (n === small.byteLength) big = pool.get();
        } else if (n < small.byteLength) {
          // Traffic went light: the next read will likely wait, so do not hold a big buffer idle.
          // (A merely short read of a busy stream keeps the big buffer: flipping back to 4 KiB
          // reads under load costs a syscall per 4 KiB.)
          pool.put(big);
          big = null;
        }
      }
      if (!finished) await dst.closeWrite();
    } catch (err) {
      fail(err);
    } finally {
      if (big !== null) pool.put(big);
    }
  };

  let ended = 0;
  const onEnd = (): void => {
    if (++ended === 2) finish();
  };
  pump(a, b, "ab").then(onEnd);
  pump(b, a, "ba").then(onEnd);
  return done;
}

function safeClose(d: Duplex): void {
  try {
    d.close();
  } catch {
    // Already closed: close() is meant to be idempotent but some streams throw.
  }
}
