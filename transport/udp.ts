/**
 * UDP sockets via node:dgram (works with plain --allow-net; Deno.listenDatagram needs
 * --unstable-net).
 *
 * @module
 */

import dgram from "node:dgram";
import type { NetAddr } from "../protocol/duplex.ts";
import { isIpLiteral, unbracket } from "./_util.ts";
import { resolveHost } from "./dns.ts";

/** Incoming datagrams beyond this many unread ones are dropped. */
export const UDP_QUEUE_LIMIT = 1024;

/** A received datagram. */
export interface Datagram {
  data: Uint8Array;
  addr: NetAddr;
}

/** A bound (and optionally connected) UDP socket. */
export class UdpSocket {
  readonly #sock: dgram.Socket;
  #queue: Datagram[] = [];
  #waiters: ((d: Datagram | null) => void)[] = [];
  #closed = false;
  #error: Error | null = null;
  #connected = false;
  #addr: NetAddr = { hostname: "", port: 0 };
  /** Datagrams dropped because the queue was full. */
  dropped = 0;

  /** @internal use {@link bindUdp} / {@link dialUdp}. */
  constructor(sock: dgram.Socket) {
    this.#sock = sock;
    sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      const d: Datagram = {
        data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        addr: { hostname: rinfo.address, port: rinfo.port },
      };
      const w = this.#waiters.shift();
      if (w) return w(d);
      if (this.#queue.length >= UDP_QUEUE_LIMIT) {
        this.dropped++;
        return;
      }
      this.#queue.push(d);
    });
    sock.on("error", (e: Error) => {
      // ICMP-induced errors on connected sockets etc.: surface as end of stream
      this.#error ??= e;
      this.#finish();
    });
    sock.on("close", () => this.#finish());
  }

  #finish(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(null);
  }

  /** @internal */
  _setAddr(): void {
    const a = this.#sock.address();
    this.#addr = { hostname: a.address, port: a.port };
  }

  /** @internal */
  _setConnected(): void {
    this.#connected = true;
  }

  /** Datagrams received and not yet taken by recv(). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Local address. */
  get addr(): NetAddr {
    return this.#addr;
  }

  /** The error that ended the socket, if any. */
  get error(): Error | null {
    return this.#error;
  }

  /** Next datagram, or null once closed. */
  recv(): Promise<Datagram | null> {
    const d = this.#queue.shift();
    if (d) return Promise.resolve(d);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => this.#waiters.push(r));
  }

  /**
   * Sends one datagram to `addr` (omit on a connected socket). Resolves once handed to the OS;
   * rejects on errors such as unresolvable hosts or a closed socket.
   */
  send(data: Uint8Array, addr?: NetAddr): Promise<void> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("udp socket closed"));
    return new Promise<void>((resolve, reject) => {
      const cb = (err: Error | null) => (err ? reject(err) : resolve());
      if (this.#connected || !addr) this.#sock.send(data, cb);
      else this.#sock.send(data, addr.port, unbracket(addr.hostname), cb);
    });
  }

  /** Sets the IP TTL of outgoing datagrams (xtcp punching sends a few with a low TTL). */
  setTTL(ttl: number): void {
    this.#sock.setTTL(ttl);
  }

  /** Closes the socket; pending recv() calls resolve to null. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    try {
      this.#sock.close();
    } catch {
      // already closed
    }
    for (const w of this.#waiters.splice(0)) w(null);
  }
}

function familyOf(host: string): "udp4" | "udp6" {
  return isIpLiteral(host) && unbracket(host).includes(":") ? "udp6" : "udp4";
}

/** Binds a UDP socket on `hostname:port` (port 0 = ephemeral; see `addr`). */
export async function bindUdp(opts: { hostname: string; port: number }): Promise<UdpSocket> {
  const host = unbracket(opts.hostname);
  const sock = dgram.createSocket({ type: familyOf(host), reuseAddr: false });
  const u = new UdpSocket(sock);
  await new Promise<void>((resolve, reject) => {
    const onErr = (e: Error) => reject(e);
    sock.once("error", onErr);
    sock.bind(opts.port, host, () => {
      sock.off("error", onErr);
      resolve();
    });
  });
  u._setAddr();
  return u;
}

/**
 * A UDP socket connected to `addr` (frpc's per-peer local sockets): bound to an ephemeral port
 * (on `localHostname` if given), send() without an address, recv() only sees that peer.
 */
export async function dialUdp(addr: NetAddr, localHostname?: string): Promise<UdpSocket> {
  const host = await resolveHost(addr.hostname);
  const type = localHostname ? familyOf(localHostname) : familyOf(host);
  const sock = dgram.createSocket({ type });
  const u = new UdpSocket(sock);
  await new Promise<void>((resolve, reject) => {
    const onErr = (e: Error) => reject(e);
    sock.once("error", onErr);
    const doConnect = () =>
      sock.connect(addr.port, host, () => {
        sock.off("error", onErr);
        resolve();
      });
    if (localHostname) sock.bind(0, unbracket(localHostname), doConnect);
    else doConnect();
  });
  u._setAddr();
  u._setConnected();
  return u;
}

/** True if a UDP socket can be bound on `hostname:port` right now (binds and closes). */
export async function tryBindUdp(hostname: string, port: number): Promise<boolean> {
  try {
    const u = await bindUdp({ hostname, port });
    u.close();
    return true;
  } catch {
    return false;
  }
}
