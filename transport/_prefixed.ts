/**
 * A Conn that first replays some already-read bytes, then reads from the inner Conn.
 * Used after sniffing (bindPort mux, TLS first byte).
 *
 * @module
 */

import type { Conn, NetAddr } from "../protocol/duplex.ts";

/** Replays `prefix` before delegating reads to `inner`. Writes go straight to `inner`. */
export class PrefixedConn implements Conn {
  #prefix: Uint8Array | null;
  readonly inner: Conn;

  constructor(prefix: Uint8Array, inner: Conn) {
    this.#prefix = prefix.byteLength > 0 ? prefix : null;
    this.inner = inner;
  }

  get localAddr(): NetAddr {
    return this.inner.localAddr;
  }

  get remoteAddr(): NetAddr {
    return this.inner.remoteAddr;
  }

  /** Bytes not yet replayed (empty once drained). */
  get pending(): Uint8Array {
    return this.#prefix ?? new Uint8Array(0);
  }

  read(p: Uint8Array): Promise<number | null> {
    const pre = this.#prefix;
    if (pre === null) return this.inner.read(p);
    if (p.byteLength === 0) return Promise.resolve(0);
    const n = Math.min(pre.byteLength, p.byteLength);
    p.set(pre.subarray(0, n));
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

/** Wraps `conn` so that `prefix` is read first; returns `conn` itself for an empty prefix. */
export function withPrefix(prefix: Uint8Array, conn: Conn): Conn {
  return prefix.byteLength === 0 ? conn : new PrefixedConn(prefix, conn);
}
