/**
 * frp's xtcp `protocol = "kcp"` tunnel: yamux (KeepAliveInterval 10 s, 6 MiB stream window)
 * over KCP on the punched UDP socket — the visitor is the yamux client and opens one stream
 * per user conn, the proxy side accepts them.
 *
 * @module
 */
import type { Duplex, NetAddr } from "../../protocol/duplex.ts";
import { YamuxSession } from "../../protocol/yamux/mod.ts";
import { KcpConn } from "../../transport/kcp.ts";
import type { UdpSocket } from "../../transport/mod.ts";
import { SERVER_WINDOW } from "../../protocol/kcp/mod.ts";

/**
 * frp's NewKCPConnFromUDP (conv 1, windows 1024/1024, FEC 10+3) on the punched socket. Go
 * reconnects the socket to the peer, so only the peer's datagrams reach KCP; node:dgram under
 * Deno does not filter connected sockets, so the reader checks the source itself (a stray
 * punching packet from the peer's other address must not capture the session).
 */
function kcpToPeer(sock: UdpSocket, raddr: NetAddr): KcpConn {
  const conn = new KcpConn({
    conv: 1,
    tx: (pkt) => void sock.send(pkt, raddr).catch(() => {}),
    localAddr: sock.addr,
    remoteAddr: raddr,
    window: SERVER_WINDOW,
    onDispose: () => sock.close(),
  });
  (async () => {
    // bounded: ends when the socket closes (null) or the session was released
    for (let d = await sock.recv(); d && !conn.isReleased; d = await sock.recv()) {
      if (d.addr.hostname !== raddr.hostname || d.addr.port !== raddr.port) continue;
      try {
        conn.input(d.data);
      } catch { /* a bad datagram is dropped */ }
    }
    conn.close();
  })();
  return conn;
}

/** One KCP + yamux tunnel. */
export class KcpTunnel {
  readonly #kcp: KcpConn;
  readonly #session: YamuxSession;
  /** Settles when the tunnel is gone. */
  readonly closed: Promise<void>;

  /** Takes ownership of `sock`. */
  constructor(sock: UdpSocket, raddr: NetAddr, role: "client" | "server") {
    this.#kcp = kcpToPeer(sock, raddr);
    this.#session = new YamuxSession(this.#kcp, { role, keepAliveIntervalMs: 10_000 });
    this.closed = this.#session.closed.finally(() => this.close());
  }

  /** Whether the tunnel ended. */
  get isClosed(): boolean {
    return this.#session.isClosed;
  }

  /** A new stream to the peer (visitor side). */
  openStream(): Promise<Duplex> {
    return this.#session.openStream();
  }

  /** Calls `onStream` for each stream the peer opens, until the tunnel ends. */
  async serveStreams(onStream: (d: Duplex) => void): Promise<void> {
    for (;;) {
      const s = await this.#session.accept();
      if (!s) return;
      onStream(s);
    }
  }

  close(): void {
    this.#session.close();
    this.#kcp.close();
  }
}
