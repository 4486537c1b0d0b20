/**
 * QUIC over a just-punched UDP port (frp's xtcp tunnel, ALPN `frp`). Deno's QuicEndpoint
 * cannot adopt a node:dgram socket, so the punching socket is closed and an endpoint is bound
 * to the same local port right away: the NAT mapping belongs to the port, not the socket.
 * The proxy side listens and accepts one connection; the visitor side dials from the port.
 *
 * @module
 */
import type { Conn, NetAddr } from "../protocol/duplex.ts";
import { deadline } from "../protocol/deadline.ts";
import {
  FRP_QUIC_ALPN,
  type QuicOptions,
  QuicStreamConn,
  requireQuic,
  transportOptions,
} from "./quic.ts";

const REBIND_TRIES = 40;
const REBIND_WAIT_MS = 25;

function netAddr(a: Deno.NetAddr): NetAddr {
  return { hostname: a.hostname, port: a.port };
}

/** Binds a QuicEndpoint to 0.0.0.0:`port`, retrying while the old socket is still closing. */
async function endpointOn(port: number): Promise<Deno.QuicEndpoint> {
  requireQuic();
  for (let i = 0;; i++) {
    try {
      return new Deno.QuicEndpoint({ hostname: "0.0.0.0", port });
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse) || i >= REBIND_TRIES) throw err;
      await new Promise((r) => setTimeout(r, REBIND_WAIT_MS));
    }
  }
}

/** One tunnel connection: streams are logical connections, as in frp's xtcp. */
export class QuicHoleSession {
  readonly #conn: Deno.QuicConn;
  readonly #endpoint: Deno.QuicEndpoint;
  /** Settles when the connection is gone (either side, idle timeout). */
  readonly closed: Promise<void>;
  #closed = false;

  constructor(conn: Deno.QuicConn, endpoint: Deno.QuicEndpoint) {
    this.#conn = conn;
    this.#endpoint = endpoint;
    this.closed = conn.closed.then(() => {}, () => {}).finally(() => this.close());
  }

  /** Whether close() ran or the connection ended. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** The peer's address. */
  get remoteAddr(): NetAddr {
    return netAddr(this.#conn.remoteAddr);
  }

  /** A new stream to the peer (the visitor side). */
  async openStream(): Promise<Conn> {
    const s = await this.#conn.createBidirectionalStream();
    return new QuicStreamConn(s, netAddr(this.#endpoint.addr), this.remoteAddr);
  }

  /** Calls `onStream` for each stream the peer opens, until the connection ends. */
  async serveStreams(onStream: (c: Conn) => void): Promise<void> {
    const local = netAddr(this.#endpoint.addr), remote = this.remoteAddr;
    try {
      for await (const s of this.#conn.incomingBidirectionalStreams) {
        onStream(new QuicStreamConn(s, local, remote));
      }
    } catch { /* connection ended */ }
  }

  /** Closes the connection (code 0, empty reason, as frp) and frees the port. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close({ closeCode: 0, reason: "" });
    } catch { /* already closed */ }
    closeEndpoint(this.#endpoint);
  }
}

/** Closes an endpoint that may already be closed. */
function closeEndpoint(endpoint: Deno.QuicEndpoint): void {
  try {
    endpoint.close();
  } catch { /* already closed */ }
}

/**
 * Proxy side: listen on `port` and accept a single connection within `timeoutMs` (frp
 * accepts exactly one; later handshakes are not served).
 */
export async function acceptQuicOnPort(opts: {
  port: number;
  cert: string;
  key: string;
  quic: QuicOptions;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<QuicHoleSession> {
  const endpoint = await endpointOn(opts.port);
  const onAbort = () => closeEndpoint(endpoint);
  try {
    const listener = endpoint.listen({
      cert: opts.cert,
      key: opts.key,
      alpnProtocols: [FRP_QUIC_ALPN],
      ...transportOptions(opts.quic),
    });
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const conn = await deadline(listener.accept(), opts.timeoutMs, "quic accept");
    listener.stop();
    return new QuicHoleSession(conn, endpoint);
  } catch (err) {
    closeEndpoint(endpoint);
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Visitor side: dial `raddr` from local `port`. Server verification follows the process
 * (skipped under `--unsafely-ignore-certificate-errors`, like Go's InsecureSkipVerify).
 */
export async function dialQuicFromPort(opts: {
  port: number;
  raddr: NetAddr;
  quic: QuicOptions;
  timeoutMs: number;
}): Promise<QuicHoleSession> {
  const endpoint = await endpointOn(opts.port);
  try {
    const dial = Deno.connectQuic({
      hostname: opts.raddr.hostname,
      port: opts.raddr.port,
      endpoint,
      alpnProtocols: [FRP_QUIC_ALPN],
      ...transportOptions(opts.quic),
    });
    const conn = await deadline(Promise.resolve(dial), opts.timeoutMs, "quic dial");
    return new QuicHoleSession(conn, endpoint);
  } catch (err) {
    closeEndpoint(endpoint);
    throw err;
  }
}
