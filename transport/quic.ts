/**
 * QUIC transport (wire-v1.md §12.2) on Deno's built-in QUIC (quinn + rustls, `--unstable-net`):
 * ALPN `frp`, one client-initiated bidirectional stream per logical connection, keep-alive
 * 10 s and idle timeout 30 s by default. Streams are adapted to our Conn contract.
 *
 * @module
 */
import type { Conn, NetAddr } from "../protocol/duplex.ts";
import { resolveHost } from "./dns.ts";
import { WebStreamsDuplex } from "../protocol/web_streams.ts";

/** frp's QUIC ALPN protocol id. */
export const FRP_QUIC_ALPN = "frp";

/** `transport.quic.*` settings (seconds / count), shared by frps and frpc. */
export interface QuicOptions {
  keepalivePeriod: number;
  maxIdleTimeout: number;
  maxIncomingStreams: number;
}

/** Deno transport options from frp's `transport.quic` settings. */
export function transportOptions(o: QuicOptions): Deno.QuicTransportOptions {
  return {
    keepAliveInterval: o.keepalivePeriod > 0 ? o.keepalivePeriod * 1000 : undefined,
    maxIdleTimeout: o.maxIdleTimeout > 0 ? o.maxIdleTimeout * 1000 : undefined,
    maxConcurrentBidirectionalStreams: o.maxIncomingStreams,
  };
}

/** Throws a clear error when the runtime lacks QUIC (Deno without `--unstable-net`). */
export function requireQuic(): void {
  if (typeof Deno.QuicEndpoint !== "function") {
    throw new Error("QUIC needs Deno's --unstable-net flag (the frps/frpc tasks pass it)");
  }
}

function netAddr(a: Deno.NetAddr): NetAddr {
  return { hostname: a.hostname, port: a.port };
}

/**
 * One QUIC bidirectional stream as a Conn. The stream sink copies into the QUIC send buffer
 * before a write settles, so callers may reuse their buffer once `write` resolves.
 */
export class QuicStreamConn extends WebStreamsDuplex implements Conn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;

  constructor(stream: Deno.QuicBidirectionalStream, localAddr: NetAddr, remoteAddr: NetAddr) {
    super(stream);
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }
}

/** An established QUIC connection from frpc: opens one stream per logical connection. */
export class QuicClientSession {
  readonly #conn: Deno.QuicConn;
  readonly closed: Promise<void>;

  constructor(conn: Deno.QuicConn) {
    this.#conn = conn;
    this.closed = conn.closed.then(() => {}, () => {});
  }

  /** A new logical connection to frps. */
  async openStream(): Promise<Conn> {
    const s = await this.#conn.createBidirectionalStream();
    return new QuicStreamConn(
      s,
      netAddr(this.#conn.endpoint.addr),
      netAddr(this.#conn.remoteAddr),
    );
  }

  /** Closes the connection (application error 0, empty reason, as frp does). */
  close(): void {
    try {
      this.#conn.close({ closeCode: 0, reason: "" });
    } catch { /* already closed */ }
  }
}

/**
 * Dials frps's quicBindPort. Server verification follows the process: skipped under
 * `--unsafely-ignore-certificate-errors` (frp's default), else against `caCert`.
 */
export async function dialQuic(opts: {
  hostname: string;
  port: number;
  serverName?: string;
  caCert?: string;
  quic: QuicOptions;
}): Promise<QuicClientSession> {
  requireQuic();
  const conn = await Deno.connectQuic({
    hostname: await resolveHost(opts.hostname),
    port: opts.port,
    serverName: opts.serverName,
    alpnProtocols: [FRP_QUIC_ALPN],
    caCerts: opts.caCert ? [opts.caCert] : undefined,
    ...transportOptions(opts.quic),
  });
  return new QuicClientSession(conn);
}

/** frps's QUIC listener: yields each client's streams as logical connections. */
export class QuicServer {
  readonly #endpoint: Deno.QuicEndpoint;
  readonly #listener: Deno.QuicListener;
  readonly #conns = new Set<Deno.QuicConn>();

  constructor(
    opts: { hostname: string; port: number; cert: string; key: string; quic: QuicOptions },
  ) {
    requireQuic();
    this.#endpoint = new Deno.QuicEndpoint({ hostname: opts.hostname, port: opts.port });
    this.#listener = this.#endpoint.listen({
      cert: opts.cert,
      key: opts.key,
      alpnProtocols: [FRP_QUIC_ALPN],
      ...transportOptions(opts.quic),
    });
  }

  /** The bound UDP address. */
  get addr(): NetAddr {
    return netAddr(this.#endpoint.addr);
  }

  /**
   * Accepts connections until close(); for each stream calls `onStream(conn)`.
   * A failed handshake rejects accept(): it is skipped, never fatal.
   */
  async serve(onStream: (conn: Conn) => void): Promise<void> {
    for (;;) {
      let incoming: Deno.QuicIncoming;
      try {
        incoming = await this.#listener.incoming();
      } catch {
        return; // listener closed
      }
      this.#accept(incoming, onStream);
    }
  }

  async #accept(incoming: Deno.QuicIncoming, onStream: (c: Conn) => void) {
    let conn: Deno.QuicConn;
    try {
      conn = await incoming.accept();
    } catch {
      return;
    }
    this.#conns.add(conn);
    conn.closed.finally(() => this.#conns.delete(conn)).catch(() => {});
    const local = netAddr(conn.endpoint.addr), remote = netAddr(conn.remoteAddr);
    try {
      for await (const s of conn.incomingBidirectionalStreams) {
        onStream(new QuicStreamConn(s, local, remote));
      }
    } catch { /* connection ended */ }
  }

  close(): void {
    for (const c of this.#conns) {
      try {
        c.close({ closeCode: 0, reason: "" });
      } catch { /* gone */ }
    }
    try {
      this.#endpoint.close();
    } catch { /* closed */ }
  }
}
