/**
 * KCP transport (frpc `transport.protocol = "kcp"`, frps `kcpBindPort`) over node:dgram, which
 * works under plain --allow-net: kcp-go's UDPSession / Listener behaviour around the pure
 * session in protocol/kcp — a 20 ms update loop (nodelay interval), a listener that demuxes
 * sessions by remote address and conv, and sessions over an existing UdpSocket (xtcp, as
 * kcp-go's NewConn3).
 *
 * KCP has no FIN: closing a session is invisible to the peer (frp relies on yamux, TLS or its
 * own messages); close() flushes once and releases the session, as kcp-go does.
 *
 * @module
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import type { Conn, NetAddr } from "../protocol/duplex.ts";
import {
  CLIENT_WINDOW,
  datagramConv,
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  KcpSession,
  looksLikeKcp,
  MTU_LIMIT,
  SERVER_WINDOW,
} from "../protocol/kcp/mod.ts";
import { isIpLiteral, unbracket } from "./_util.ts";
import type { UdpSocket } from "./udp.ts";
import { resolveHost } from "./dns.ts";

/** kcp-go's accept backlog: new sessions beyond it are dropped until accepted. */
/**
 * Largest yamux data frame on a KCP session. yamux writes one queue in FIFO order, and KCP
 * moves ~20 MB/s here: with 256 KiB frames and a thousand busy streams, a ReqWorkConn or a new
 * stream's NewWorkConn waited behind hundreds of MB and frps gave up on the work connection
 * (10 s). Go's yamux sends at most 64 queued frames of frp's 16 KiB copies; 16 KiB frames keep
 * ours as short (docs/reliability.md, integrity over kcp).
 */
export const KCP_YAMUX_FRAME = 16 * 1024;

export const KCP_ACCEPT_BACKLOG = 128;
/**
 * The receive window we advertise, in segments. Go frp asks for 512/1024 with 4 MiB socket
 * buffers; Deno's UDP sockets keep the kernel default (~208 KiB, ~90 datagrams), so a peer
 * filling a larger window overflows it and most of the burst is lost. 64 segments (+ FEC
 * parity) fit, and the peer honours the advertised window: ~2x the throughput of 512 here.
 */
export const RCV_WND_CAP = 64;
/** Closed (address, conv) pairs whose late datagrams must not open a new session. */
const TOMBSTONE_MS = 30_000;
const TOMBSTONE_MAX = 4096;

const t0 = performance.now();
/** kcp-go's currentMs: monotonic ms since start, wrapping at 2^32. */
const monoMs = (): number => Math.floor(performance.now() - t0) >>> 0;

/** Sends one datagram; must not throw. */
type Tx = (pkt: Uint8Array) => void;

/** Options of one session. */
interface KcpConnInit {
  conv: number;
  tx: Tx;
  localAddr: NetAddr;
  remoteAddr: NetAddr;
  window: { sndWnd: number; rcvWnd: number };
  /** Called once when the session is released. */
  onDispose: (conn: KcpConn) => void;
}

/** One KCP session as a Conn. */
export class KcpConn implements Conn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  /** The protocol state (stats, tests). */
  readonly session: KcpSession;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #disposed = false;
  #readWaiter: (() => void) | null = null;
  #writeWaiter: (() => void) | null = null;
  readonly #onDispose: (conn: KcpConn) => void;

  constructor(init: KcpConnInit) {
    this.localAddr = init.localAddr;
    this.remoteAddr = init.remoteAddr;
    this.#onDispose = init.onDispose;
    this.session = new KcpSession({
      conv: init.conv,
      send: init.tx,
      now: monoMs,
      wallNow: Date.now,
      sndWnd: init.window.sndWnd,
      rcvWnd: Math.min(init.window.rcvWnd, RCV_WND_CAP),
    });
    // kcp-go schedules the first update right away.
    this.#timer = setTimeout(this.#tick, 0);
  }

  /** The conversation id. */
  get conv(): number {
    return this.session.conv;
  }

  /** Whether close() ran. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Whether the session was released (no more input is processed). */
  get isReleased(): boolean {
    return this.#disposed;
  }

  /** Feeds a received datagram (the transport's demux calls this). */
  input(pkt: Uint8Array): void {
    if (this.#disposed) return;
    this.session.input(pkt);
    this.#wake();
  }

  #wake(): void {
    if (this.#readWaiter && (this.#closed || this.session.readable)) {
      const w = this.#readWaiter;
      this.#readWaiter = null;
      w();
    }
    if (this.#writeWaiter && (this.#closed || this.session.writable)) {
      const w = this.#writeWaiter;
      this.#writeWaiter = null;
      w();
    }
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    if (this.#disposed) return;
    const next = this.session.update();
    this.#wake();
    this.#timer = setTimeout(this.#tick, next);
  };

  async read(p: Uint8Array): Promise<number | null> {
    if (p.length === 0) return 0;
    // bounded: each wait ends with data or close
    for (;;) {
      if (this.#closed) return null;
      const n = this.session.read(p);
      if (n > 0) return n;
      await new Promise<void>((r) => (this.#readWaiter = r));
    }
  }

  async write(p: Uint8Array): Promise<number> {
    for (;;) {
      if (this.#closed) throw new Deno.errors.BadResource("kcp session closed");
      if (this.session.writable) break;
      await new Promise<void>((r) => (this.#writeWaiter = r));
    }
    if (p.length > 0) this.session.write(p);
    return p.length;
  }

  /** KCP cannot half-close: like Go frp's Join, ending one direction ends the session. */
  closeWrite(): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * Flushes once and releases the session, as kcp-go's Close: unacknowledged data is dropped.
   * Lingering would be worse: every later datagram (a resend, an ack) reaching a Go listener
   * whose session is gone opens a phantom session there, and Go frps reads each new session's
   * first byte inside its accept loop (10 s timeout), stalling every other connection.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    if (this.#disposed) return;
    this.session.update();
    this.#dispose();
  }

  /** Releases at once without the final flush (a replaced session). */
  closeNow(): void {
    this.#closed = true;
    this.#wake();
    this.#dispose();
  }

  #dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake();
    try {
      this.#onDispose(this);
    } catch { /* a failing release hook must not break the timer */ }
  }
}

function familyOf(host: string): "udp4" | "udp6" {
  return isIpLiteral(host) && unbracket(host).includes(":") ? "udp6" : "udp4";
}

function createSocket(type: "udp4" | "udp6"): dgram.Socket {
  const sock = dgram.createSocket({ type });
  // Send errors (unreachable peers…) are not fatal for a session.
  sock.on("error", () => {});
  return sock;
}

function bind(sock: dgram.Socket, port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onErr = (e: Error) => reject(e);
    sock.once("error", onErr);
    sock.bind(port, host, () => {
      sock.off("error", onErr);
      // kcp-go asks for 4 MiB socket buffers; Deno's node:dgram does not apply them to the
      // socket but allocates a receive buffer of that size per datagram: keep the default.
      resolve();
    });
  });
}

function sender(sock: dgram.Socket, port: number, host: string): Tx {
  return (pkt) => {
    try {
      sock.send(pkt, port, host);
    } catch { /* socket closed: the session is going away */ }
  };
}

function sockAddr(sock: dgram.Socket): NetAddr {
  const a = sock.address();
  return { hostname: a.address, port: a.port };
}

async function resolveKcpHost(hostname: string): Promise<string> {
  const h = await resolveHost(hostname);
  if (isIpLiteral(h)) return h;
  return (await lookup(h)).address;
}

function randomConv(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Options for {@link dialKcp}. */
export interface DialKcpOptions {
  hostname: string;
  port: number;
  /** Local IP to bind (frpc's `transport.connectServerLocalIP`). */
  localIP?: string;
}

/**
 * Opens a client session to a KCP listener (golib's dialKCPServer: random conv, windows
 * 128/512, own UDP socket). Like kcp-go's readLoop, the first source to answer is the peer.
 */
export async function dialKcp(opts: DialKcpOptions): Promise<KcpConn> {
  const host = await resolveKcpHost(opts.hostname);
  const sock = createSocket(familyOf(host));
  try {
    await bind(sock, 0, opts.localIP ? unbracket(opts.localIP) : undefined);
  } catch (err) {
    sock.close();
    throw err;
  }
  const conn = new KcpConn({
    conv: randomConv(),
    tx: sender(sock, opts.port, host),
    localAddr: sockAddr(sock),
    remoteAddr: { hostname: host, port: opts.port },
    window: CLIENT_WINDOW,
    onDispose: () => {
      try {
        sock.close();
      } catch { /* closed */ }
    },
  });
  let src = "";
  sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
    const from = `${rinfo.address}:${rinfo.port}`;
    if (src === "") src = from;
    else if (from !== src) return;
    try {
      conn.input(msg);
    } catch { /* never let one datagram take the process down */ }
  });
  return conn;
}

/**
 * A session over an existing UDP socket to `remote` (kcp-go's NewConn3, frp's
 * NewKCPConnFromUDP for xtcp: conv 1, windows 1024/1024). The session reads the socket until
 * it is released; the first source address to send wins, as in kcp-go. With `ownSocket`
 * (default) releasing the session closes the socket; without it the socket stays open and
 * its reader stops at the next datagram (which is dropped).
 */
export function kcpOverUdpSocket(
  sock: UdpSocket,
  remote: NetAddr,
  opts: { conv?: number; ownSocket?: boolean } = {},
): KcpConn {
  const conn = new KcpConn({
    conv: opts.conv ?? 1,
    tx: (pkt) => void sock.send(pkt, remote).catch(() => {}),
    localAddr: sock.addr,
    remoteAddr: remote,
    window: SERVER_WINDOW,
    onDispose: () => {
      if (opts.ownSocket ?? true) sock.close();
    },
  });
  (async () => {
    let src = "";
    // bounded: ends when the socket closes (null) or the session was released
    for (let d = await sock.recv(); d && !conn.isReleased; d = await sock.recv()) {
      const from = `${d.addr.hostname}:${d.addr.port}`;
      if (src === "") src = from;
      try {
        if (from === src) conn.input(d.data);
      } catch { /* a bad datagram is dropped */ }
    }
    conn.close();
  })();
  return conn;
}

/** frps's KCP listener (kcp-go's Listener with FEC 10+3): one session per remote address. */
export class KcpListener {
  readonly #sock: dgram.Socket;
  readonly addr: NetAddr;
  readonly #sessions = new Map<string, KcpConn>();
  readonly #tombstones = new Map<string, number>();
  #backlog: KcpConn[] = [];
  #waiter: ((c: KcpConn | null) => void) | null = null;
  #closed = false;
  /** Datagrams dropped (garbage, full backlog, closed sessions). */
  dropped = 0;

  private constructor(sock: dgram.Socket) {
    this.#sock = sock;
    this.addr = sockAddr(sock);
    sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      try {
        this.#onPacket(msg, rinfo.address, rinfo.port);
      } catch {
        this.dropped++; // never let one datagram take the listener down
      }
    });
  }

  /** Binds `hostname:port` (UDP). */
  static async listen(opts: { hostname: string; port: number }): Promise<KcpListener> {
    const host = unbracket(opts.hostname);
    const sock = createSocket(familyOf(host));
    await bind(sock, opts.port, host);
    return new KcpListener(sock);
  }

  /** Sessions currently open. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  #onPacket(msg: Uint8Array, host: string, port: number): void {
    if (this.#closed || msg.length < 24 || msg.length > MTU_LIMIT) {
      this.dropped++;
      return;
    }
    const key = `${host}:${port}`;
    let s = this.#sessions.get(key);
    const info = datagramConv(msg);
    if (s) {
      if (!info || info.conv === s.conv) return s.input(msg);
      if (info.sn !== 0) {
        this.dropped++;
        return;
      }
      // sn 0 with a new conv: the peer restarted, replace the session (kcp-go)
      s.closeNow();
      s = undefined;
    }
    if (!info) {
      this.dropped++;
      return;
    }
    const tomb = `${key}/${info.conv}`;
    const until = this.#tombstones.get(tomb);
    if (until !== undefined) {
      // late retransmissions to a closed session: keep ignoring while they come
      if (until > Date.now()) {
        this.#tombstones.set(tomb, Date.now() + TOMBSTONE_MS);
        this.dropped++;
        return;
      }
      this.#tombstones.delete(tomb);
    }
    const off = msg[4] === FEC_TYPE_DATA && msg[5] === 0 ? FEC_HEADER_SIZE_PLUS2 : 0;
    // kcp-go opens a session for any datagram; requiring a KCP command byte keeps noise out
    if (!looksLikeKcp(msg, off) || this.#backlog.length >= KCP_ACCEPT_BACKLOG) {
      this.dropped++;
      return;
    }
    const conn = new KcpConn({
      conv: info.conv,
      tx: sender(this.#sock, port, host),
      localAddr: this.addr,
      remoteAddr: { hostname: host, port },
      window: SERVER_WINDOW,
      onDispose: (c) => this.#release(key, c),
    });
    this.#sessions.set(key, conn);
    conn.input(msg);
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w(conn);
    } else this.#backlog.push(conn);
  }

  #release(key: string, conn: KcpConn): void {
    if (this.#sessions.get(key) === conn) this.#sessions.delete(key);
    if (this.#tombstones.size >= TOMBSTONE_MAX) {
      // drop the oldest (Map keeps insertion order)
      const first = this.#tombstones.keys().next().value;
      if (first !== undefined) this.#tombstones.delete(first);
    }
    this.#tombstones.set(`${key}/${conn.conv}`, Date.now() + TOMBSTONE_MS);
  }

  /** The next new session, or null once closed. */
  accept(): Promise<KcpConn | null> {
    const c = this.#backlog.shift();
    if (c) return Promise.resolve(c);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => (this.#waiter = r));
  }

  /** Accepts until close(), handing each session to `onConn`. */
  async serve(onConn: (conn: KcpConn) => void): Promise<void> {
    for (;;) {
      const c = await this.accept();
      if (!c) return;
      onConn(c);
    }
  }

  /** Closes the socket and every session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#sessions.values()]) s.closeNow();
    for (const s of this.#backlog.splice(0)) s.closeNow();
    this.#waiter?.(null);
    this.#waiter = null;
    try {
      this.#sock.close();
    } catch { /* closed */ }
  }
}

/** Binds frps's kcpBindPort. */
export function listenKcp(opts: { hostname: string; port: number }): Promise<KcpListener> {
  return KcpListener.listen(opts);
}
