/**
 * A Conn that first replays some already-read bytes (sniffing), then reads from the inner
 * Conn: protocol/io.ts `PrefixedDuplex` plus the endpoint addresses.
 *
 * @module
 */

import type { Conn, NetAddr } from "../protocol/duplex.ts";
import { PrefixedDuplex } from "../protocol/io.ts";

/** Replays `prefix` before delegating reads to `inner`. Writes go straight to `inner`. */
export class PrefixedConn extends PrefixedDuplex implements Conn {
  readonly #conn: Conn;

  constructor(inner: Conn, prefix: Uint8Array) {
    super(inner, prefix);
    this.#conn = inner;
  }

  get localAddr(): NetAddr {
    return this.#conn.localAddr;
  }

  get remoteAddr(): NetAddr {
    return this.#conn.remoteAddr;
  }
}

/** Wraps `conn` so that `prefix` is read first; returns `conn` itself for an empty prefix. */
export function withPrefix(conn: Conn, prefix: Uint8Array): Conn {
  return prefix.byteLength === 0 ? conn : new PrefixedConn(conn, prefix);
}
