/**
 * TCP dial/listen. Every TCP socket of frps/frpc is opened here.
 *
 * @module
 */

import net from "node:net";
import type { Conn, NetAddr } from "../protocol/duplex.ts";
import { nodeStreamToConn } from "./_node_stream.ts";
import { TimeoutError, unbracket } from "./_util.ts";
import { noSuchHostText, resolveHost } from "./dns.ts";

function toNetAddr(a: Deno.Addr): NetAddr {
  const n = a as Deno.NetAddr;
  return { hostname: n.hostname ?? "", port: n.port ?? 0 };
}

/**
 * A Deno socket (TCP or native TLS) as a Conn: read/write delegate directly (hot path);
 * closeWrite/close are idempotent and never throw.
 */
export class DenoSocketConn<T extends Deno.Conn> implements Conn {
  readonly raw: T;
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  #closed = false;

  constructor(raw: T, localAddr: NetAddr, remoteAddr: NetAddr) {
    this.raw = raw;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.raw.read(p);
  }

  write(p: Uint8Array): Promise<number> {
    return this.raw.write(p);
  }

  async closeWrite(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.raw.closeWrite();
    } catch {
      // already shut down / peer gone: nothing useful to report
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.raw.close();
    } catch {
      // already closed
    }
  }

  /** True once close() (or detach()) was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the wrapper closed without touching `raw` (after Deno.startTls consumed it). */
  detach(): void {
    this.#closed = true;
  }
}

/**
 * A plain TCP connection. `raw` is exposed so TLS can be started natively on it
 * (Deno.startTls).
 */
export class TcpConn extends DenoSocketConn<Deno.TcpConn> {
  constructor(raw: Deno.TcpConn) {
    super(raw, toNetAddr(raw.localAddr), toNetAddr(raw.remoteAddr));
  }
}

/** Options for {@link dialTcp}. */
export interface DialTcpOptions {
  hostname: string;
  port: number;
  /** Connect timeout (frp: transport.dialServerTimeout, 10 s). 0/undefined = OS default. */
  timeoutMs?: number;
  /** Local bind address (frp: transport.connectServerLocalIP). Uses node:net when set. */
  localIP?: string;
  /**
   * frp's dial keep-alive period. > 0 enables SO_KEEPALIVE; Deno cannot set the period, so the
   * OS default idle time is used (Linux: 7200 s, frp's default). <= 0/undefined leaves it off.
   */
  keepAliveSec?: number;
}

/** Dials a TCP connection with TCP_NODELAY set. */
export async function dialTcp(opts: DialTcpOptions): Promise<Conn> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error(`dial tcp: address ${opts.port}: invalid port`); // Go's net text
  }
  let hostname: string;
  try {
    hostname = await resolveHost(opts.hostname);
  } catch (e) {
    throw new Error(`dial tcp: ${(e as Error).message}`);
  }
  if (opts.localIP) return await dialTcpNode({ ...opts, hostname });
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  if (opts.timeoutMs && opts.timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, opts.timeoutMs);
  }
  let raw: Deno.TcpConn;
  try {
    raw = await Deno.connect({ hostname, port: opts.port, signal: ac.signal });
  } catch (e) {
    if (timedOut) {
      throw new TimeoutError(`dial tcp ${hostname}:${opts.port}: i/o timeout`);
    }
    // getaddrinfo's text names no host; Go's does.
    if (e instanceof Error && e.message.startsWith("failed to lookup address information")) {
      throw new Error(`dial tcp: ${noSuchHostText(hostname)}`);
    }
    if (e instanceof Deno.errors.ConnectionRefused) {
      const h = hostname.includes(":") ? `[${hostname}]` : hostname;
      throw new Error(`dial tcp ${h}:${opts.port}: connect: connection refused`); // Go's text
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
  raw.setNoDelay(true);
  if (opts.keepAliveSec && opts.keepAliveSec > 0) raw.setKeepAlive(true);
  return new TcpConn(raw);
}

function dialTcpNode(opts: DialTcpOptions): Promise<Conn> {
  return new Promise<Conn>((resolve, reject) => {
    const sock = net.connect({
      host: opts.hostname,
      port: opts.port,
      localAddress: opts.localIP,
      allowHalfOpen: true,
      noDelay: true,
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    if (opts.timeoutMs && opts.timeoutMs > 0) {
      timer = setTimeout(
        () => fail(new TimeoutError(`dial tcp ${opts.hostname}:${opts.port}: i/o timeout`)),
        opts.timeoutMs,
      );
    }
    sock.once("error", fail);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.off("error", fail);
      sock.setNoDelay(true);
      if (opts.keepAliveSec && opts.keepAliveSec > 0) {
        sock.setKeepAlive(true, opts.keepAliveSec * 1000);
      }
      resolve(nodeStreamToConn(
        sock,
        { hostname: sock.localAddress ?? "", port: sock.localPort ?? 0 },
        { hostname: sock.remoteAddress ?? "", port: sock.remotePort ?? 0 },
      ));
    });
  });
}

/** A TCP listener; accepted conns have TCP_NODELAY set. */
export class TcpListener implements AsyncIterable<Conn> {
  readonly #l: Deno.TcpListener;
  readonly #keepAlive: boolean;
  readonly addr: NetAddr;
  #closed = false;
  #pending: Promise<unknown> | null = null;
  #released: Promise<void> | null = null;

  constructor(l: Deno.TcpListener, keepAlive = false) {
    this.#l = l;
    this.#keepAlive = keepAlive;
    this.addr = toNetAddr(l.addr);
  }

  /** Next connection, or null once the listener is closed. */
  async accept(): Promise<Conn | null> {
    if (this.#closed) return null;
    let raw: Deno.TcpConn;
    const pending = this.#l.accept();
    this.#pending = pending;
    try {
      raw = await pending;
    } catch (e) {
      if (
        this.#closed || e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted
      ) {
        return null;
      }
      throw e;
    } finally {
      if (this.#pending === pending) this.#pending = null;
    }
    try {
      raw.setNoDelay(true);
      if (this.#keepAlive) raw.setKeepAlive(true);
    } catch {
      // socket already reset by peer; reads will report it
    }
    return new TcpConn(raw);
  }

  /**
   * Stops accepting. Idempotent. Already accepted connections stay open. Resolves once the port
   * is free again: Deno releases a listener with an accept() in flight only when that accept
   * settles, on a later tick (deno-platform.md), while Go's Close frees it at once — so whoever
   * binds the same port next (a reloaded proxy) awaits this.
   */
  close(): Promise<void> {
    if (this.#released) return this.#released;
    this.#closed = true;
    try {
      this.#l.close();
    } catch {
      // already closed
    }
    const pending = this.#pending;
    this.#released = pending ? pending.then(() => {}, () => {}) : Promise.resolve();
    return this.#released;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Conn> {
    while (true) {
      const c = await this.accept();
      if (c === null) return;
      yield c;
    }
  }
}

/**
 * Accept queue length asked for. Go's net.Listen asks for net.core.somaxconn (4096 on current
 * Linux); Deno's default is 511, and a burst of connections beyond it waits for SYN
 * retransmits (1 s, 3 s, …). The kernel caps it at somaxconn.
 */
const TCP_BACKLOG = 4096;

/** Listens on TCP `hostname:port` (port 0 = ephemeral; see `addr`). */
export function listenTcp(
  opts: { hostname: string; port: number; keepAlive?: boolean },
): TcpListener {
  let l: Deno.TcpListener;
  try {
    l = Deno.listen({
      hostname: unbracket(opts.hostname),
      port: opts.port,
      transport: "tcp",
      tcpBacklog: TCP_BACKLOG,
    });
  } catch (err) {
    throw new Error(goListenError(err, opts.hostname, opts.port));
  }
  return new TcpListener(l, opts.keepAlive);
}

/** Go's net.Listen error text: `listen tcp 0.0.0.0:7000: bind: address already in use`. */
export function goListenError(err: unknown, hostname: string, port: number): string {
  const h = unbracket(hostname);
  const addr = `${h.includes(":") ? `[${h}]` : h}:${port}`;
  const why = err instanceof Deno.errors.AddrInUse
    ? "bind: address already in use"
    : err instanceof Deno.errors.PermissionDenied && !/--allow-net/.test(String(err))
    ? "bind: permission denied"
    : err instanceof Deno.errors.AddrNotAvailable
    ? "bind: cannot assign requested address"
    : (err as Error).message;
  return `listen tcp ${addr}: ${why}`;
}

/** True if a TCP listener can be bound on `hostname:port` right now (binds and closes). */
export function tryBindTcp(hostname: string, port: number): boolean {
  try {
    const l = Deno.listen({ hostname: unbracket(hostname), port, transport: "tcp" });
    l.close();
    return true;
  } catch {
    return false;
  }
}
