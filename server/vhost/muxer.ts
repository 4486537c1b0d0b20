/**
 * frp's vhost Muxer for the HTTPS (SNI) and tcpmux httpconnect ports (pkg/util/vhost/vhost.go,
 * https.go, pkg/util/tcpmux/httpconnect.go; behaviour.md §2, §3): reads the routing key from
 * the first bytes within 30 s, routes like the HTTP vhost and hands the connection to the
 * registered proxy (or group).
 *
 * @module
 */
import type { Conn, Duplex, NetAddr } from "../../protocol/duplex.ts";
import { PrefixedDuplex, writeAll } from "../../protocol/io.ts";
import type { Logger } from "../../log/logger.ts";
import { canonicalHost, Routers } from "./router.ts";
import { BufReader, parseRequestHead } from "../../protocol/http_codec.ts";
import { parseBasicAuth } from "./http_request.ts";
import { notFoundResponse } from "./resource.ts";

/** What a proxy registers on a muxer. */
export interface MuxRoute {
  /** tcpmux only: httpUser / httpPassword of the proxy (auth only when username is set). */
  username: string;
  password: string;
  /** Takes over a routed user connection (positioned per the muxer's replay rules). */
  handle(conn: Conn): void;
}

const ROUTE_TIMEOUT_MS = 30_000;
const MAX_CLIENT_HELLO = 16384 + 2048 + 5;

const OK_RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
const PROXY_UNAUTHORIZED = new TextEncoder().encode(
  'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="Restricted"\r\nContent-Length: 0\r\n\r\n',
);

/** Result of parsing a ClientHello. */
export interface ClientHelloInfo {
  /** SNI host_name ("" when absent). */
  serverName: string;
  /** Highest version offered (supported_versions, else legacy_version). */
  maxVersion: number;
}

/**
 * Reads TLS records from `rd` until a full ClientHello handshake message is buffered (without
 * consuming), and parses it as Go's crypto/tls would (SNI with a trailing dot, duplicate
 * host names or SSLv2-style hellos fail). Throws on malformed input or EOF.
 */
export async function readClientHello(rd: BufReader): Promise<ClientHelloInfo> {
  const need = async (n: number) => {
    while (rd.buffered < n) {
      if (rd.buffered > MAX_CLIENT_HELLO) throw new Error("client hello too large");
      if ((await rd.fill()) === null) throw new Error("EOF before client hello");
    }
  };
  // Gather the handshake message across records.
  const hs: number[] = [];
  let off = 0;
  let msgLen = -1;
  for (;;) {
    await need(off + 5);
    const v = rd.peek();
    if (v[off] !== 0x16) throw new Error("not a TLS handshake record");
    if (v[off + 1] !== 0x03) throw new Error("unsupported record version");
    const len = (v[off + 3] << 8) | v[off + 4];
    if (len === 0 || len > 16384 + 2048) throw new Error("bad record length");
    await need(off + 5 + len);
    const rec = rd.peek().subarray(off + 5, off + 5 + len);
    for (const b of rec) hs.push(b);
    off += 5 + len;
    if (msgLen < 0 && hs.length >= 4) {
      if (hs[0] !== 0x01) throw new Error("not a ClientHello");
      msgLen = (hs[1] << 16) | (hs[2] << 8) | hs[3];
      if (msgLen > 65536) throw new Error("client hello too large");
    }
    if (msgLen >= 0 && hs.length >= 4 + msgLen) break;
  }
  return parseClientHelloBody(Uint8Array.from(hs.slice(4, 4 + msgLen)));
}

/** Parses the body of a ClientHello handshake message. */
export function parseClientHelloBody(b: Uint8Array): ClientHelloInfo {
  let p = 0;
  const fail = (why: string): never => {
    throw new Error(`malformed ClientHello: ${why}`);
  };
  const u8 = () => (p < b.length ? b[p++] : fail("short"));
  const u16 = () => (u8() << 8) | u8();
  const skip = (n: number) => {
    if (p + n > b.length) fail("short");
    p += n;
  };
  const legacy = u16();
  skip(32);
  const sid = u8();
  if (sid > 32) fail("session id");
  skip(sid);
  const cs = u16();
  if (cs % 2 !== 0) fail("cipher suites");
  skip(cs);
  const comp = u8();
  if (comp < 1) fail("compression");
  skip(comp);
  let serverName = "";
  let maxVersion = legacy;
  if (p === b.length) return { serverName, maxVersion };
  const extLen = u16();
  const extEnd = p + extLen;
  if (extEnd !== b.length) fail("extensions length");
  const td = new TextDecoder("latin1");
  while (p < extEnd) {
    const type = u16();
    const len = u16();
    const end = p + len;
    if (end > extEnd) fail("extension length");
    if (type === 0) {
      const listLen = u16();
      if (p + listLen !== end || listLen === 0) fail("server_name list");
      while (p < end) {
        const nt = u8();
        const nl = u16();
        if (p + nl > end) fail("server_name entry");
        const name = td.decode(b.subarray(p, p + nl));
        p += nl;
        if (nt !== 0) continue;
        if (serverName !== "") fail("multiple host names");
        if (name.endsWith(".")) fail("trailing dot in SNI");
        serverName = name;
      }
    } else if (type === 43) {
      const l = u8();
      if (l + 1 !== len || l % 2 !== 0) fail("supported_versions");
      for (let i = 0; i < l; i += 2) {
        const ver = u16();
        if ((ver & 0x0f0f) !== 0x0a0a && ver > maxVersion && ver <= 0x0304) maxVersion = ver;
      }
    }
    p = end;
  }
  return { serverName, maxVersion };
}

/** The fatal alert Go's TLS server sends when it has no certificate for the client. */
export function unknownSniAlert(maxVersion: number): Uint8Array {
  return maxVersion >= 0x0303
    ? Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112)
    : Uint8Array.of(0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 70);
}

/** A vhost muxer of kind `https` or `tcpmux`. */
export class VhostMuxer {
  readonly router: Routers<MuxRoute> = new Routers();
  readonly kind: "https" | "tcpmux";
  readonly #log: Logger;
  readonly #passthrough: boolean;
  readonly #custom404?: string;

  constructor(
    kind: "https" | "tcpmux",
    log: Logger,
    opts: { passthrough?: boolean; custom404Page?: string } = {},
  ) {
    this.kind = kind;
    this.#log = log;
    this.#passthrough = !!opts.passthrough;
    this.#custom404 = opts.custom404Page;
  }

  /** Routes one accepted connection. */
  handleConn(conn: Conn): void {
    const timer = setTimeout(() => conn.close(), ROUTE_TIMEOUT_MS);
    const p = this.kind === "https" ? this.#https(conn) : this.#tcpmux(conn);
    p.catch((err) => {
      this.#log.debug(
        `get hostname from http/https request error: ${err instanceof Error ? err.message : err}`,
      );
      conn.close();
    }).finally(() => clearTimeout(timer));
  }

  async #https(conn: Conn): Promise<void> {
    const rd = new BufReader(conn, 4096);
    const hello = await readClientHello(rd);
    const name = hello.serverName.toLowerCase();
    const route = this.router.lookup(name, "", "");
    const replay = withPrefix(conn, rd.take(rd.buffered));
    if (!route) {
      this.#log.debug(`http request for host [${name}] path [] httpUser [] not found`);
      await writeAll(conn, unknownSniAlert(hello.maxVersion)).catch(() => {});
      conn.close();
      return;
    }
    route.handle(replay);
  }

  async #tcpmux(conn: Conn): Promise<void> {
    const rec = new RecordingDuplex(conn);
    const rd = new BufReader(rec, 4096);
    const head = await rd.readHead();
    if (head === null) throw new Error("EOF");
    const req = parseRequestHead(head);
    if (req.method !== "CONNECT") {
      throw new Error("connections to tcp vhost must be of method CONNECT");
    }
    const authority = req.target.startsWith("/") ? req.headers.get("host") ?? "" : req.target;
    const host = canonicalHost(authority);
    const pa = req.headers.get("proxy-authorization");
    const creds = pa ? parseBasicAuth(pa) : null;
    const user = creds?.user ?? "";
    const route = this.router.lookup(host, "", user);
    if (!route) {
      this.#log.debug(`http request for host [${host}] path [] httpUser [${user}] not found`);
      await writeAll(conn, notFoundResponse(this.#custom404, (m) => this.#log.warn(m)))
        .catch(() => {});
      conn.close();
      return;
    }
    if (!this.#passthrough) await writeAll(conn, OK_RESPONSE);
    if (route.username !== "") {
      if (route.username !== user || route.password !== (creds?.pass ?? "")) {
        await writeAll(conn, PROXY_UNAUTHORIZED).catch(() => {});
        conn.close();
        return;
      }
    }
    if (this.#passthrough) {
      // The backend sees the original bytes, CONNECT head included.
      route.handle(withPrefix(conn, rec.recorded()));
    } else {
      route.handle(withPrefix(conn, rd.take(rd.buffered)));
    }
  }
}

/** Remembers every byte read through it (for passthrough replay). */
class RecordingDuplex implements Duplex {
  readonly #inner: Duplex;
  readonly #chunks: Uint8Array[] = [];
  constructor(inner: Duplex) {
    this.#inner = inner;
  }
  async read(p: Uint8Array): Promise<number | null> {
    const n = await this.#inner.read(p);
    if (n !== null) this.#chunks.push(p.slice(0, n));
    return n;
  }
  write(p: Uint8Array): Promise<number> {
    return this.#inner.write(p);
  }
  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }
  close(): void {
    this.#inner.close();
  }
  recorded(): Uint8Array {
    const len = this.#chunks.reduce((n, c) => n + c.byteLength, 0);
    const out = new Uint8Array(len);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
}

/** Replays `prefix` before reading from `conn`; keeps the socket's addresses. */
class ReplayConn implements Conn {
  readonly #conn: Conn;
  readonly #pre: PrefixedDuplex;
  constructor(conn: Conn, prefix: Uint8Array) {
    this.#conn = conn;
    this.#pre = new PrefixedDuplex(conn, prefix);
  }
  get localAddr(): NetAddr {
    return this.#conn.localAddr;
  }
  get remoteAddr(): NetAddr {
    return this.#conn.remoteAddr;
  }
  read(p: Uint8Array): Promise<number | null> {
    return this.#pre.read(p);
  }
  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }
  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }
  close(): void {
    this.#conn.close();
  }
}

function withPrefix(conn: Conn, prefix: Uint8Array): Conn {
  return prefix.byteLength === 0 ? conn : new ReplayConn(conn, prefix);
}
