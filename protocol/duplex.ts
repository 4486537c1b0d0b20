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

/** `ip:port` (IPv6 bracketed), as Go's net.Addr.String() prints it. */
export function netAddrText(a: NetAddr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/**
 * One end of a connection for log lines (Go's `conn.LocalAddr()`/`RemoteAddr()`): sockets,
 * TLS conns and yamux streams (their session's conn) know it; other wrappers give "".
 */
export function endText(d: Duplex, end: "localAddr" | "remoteAddr"): string {
  const a = (d as Partial<Conn>)[end];
  return a ? netAddrText(a) : "";
}
