/**
 * The one byte-stream shape every layer of the tunnel speaks: TCP, TLS, yamux streams,
 * the CFB and snappy wrappers. A `Deno.Conn` fits structurally, so sockets need no adapter.
 *
 * @module
 */

/** A bidirectional byte stream with Deno.Conn's read/write contract. */
export interface Duplex {
  /**
   * Reads up to `p.byteLength` bytes into `p`. Resolves to the number of bytes read,
   * or `null` at end of stream. Never resolves to 0 for a non-empty `p`.
   */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some prefix of `p`; resolves to the number of bytes written (may be partial). */
  write(p: Uint8Array): Promise<number>;
  /** Half-closes the write side (TCP FIN, yamux FIN). Reads may continue. */
  closeWrite(): Promise<void>;
  /** Closes both directions and releases resources. Idempotent. */
  close(): void;
}

/** A network address as reported by a socket. */
export interface NetAddr {
  hostname: string;
  port: number;
}

/** A duplex that knows its endpoints (user connections, accepted sockets). */
export interface Conn extends Duplex {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
}
