/**
 * frpc → frps through a forward proxy (`transport.proxyURL`, wire-v1.md §13; golib
 * `net/dial_option.go`): dial the proxy, then tunnel to the target with HTTP CONNECT (`http`),
 * TLS + CONNECT (`https`) or SOCKS5 (`socks5`, RFC 1928/1929). `ntlm` is not supported.
 *
 * @module
 */

import type { Conn } from "../protocol/duplex.ts";
import { dialTcp } from "./tcp.ts";
import { startClientTls } from "./tls_client.ts";
import { withPrefix } from "./_prefixed.ts";
import { isIpLiteral, TimeoutError, unbracket, writeAll } from "./_util.ts";

/** A parsed `transport.proxyURL` (Go `libnet.ParseProxyURL`). */
export interface ProxyURL {
  /** Scheme: http, https, socks5 (ntlm is recognised but not supported here). */
  type: string;
  hostname: string;
  port: number;
  /** Present when the URL has userinfo. */
  auth?: { username: string; password: string };
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, socks5: 1080 };

/** Parses a proxy URL; throws for a malformed URL or an unsupported scheme. */
export function parseProxyURL(text: string): ProxyURL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`invalid proxy url [${text}]`);
  }
  const type = u.protocol.replace(/:$/, "").toLowerCase();
  if (!["http", "https", "socks5", "ntlm"].includes(type)) {
    throw new Error(`ProxyType must be http, https, socks5 or ntlm, not [${type}]`);
  }
  if (type === "ntlm") throw new Error("proxy type ntlm is not supported");
  const out: ProxyURL = {
    type,
    hostname: unbracket(u.hostname),
    port: u.port ? Number(u.port) : DEFAULT_PORTS[type],
  };
  if (u.username || u.password || text.includes("@")) {
    out.auth = {
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    };
  }
  return out;
}

/** Options for {@link dialViaProxy}. */
export interface ProxyDialOptions {
  /** TCP connect timeout to the proxy, and the deadline of the proxy handshake. */
  timeoutMs?: number;
  /** Local bind address for the TCP dial. */
  localIP?: string;
  /** SO_KEEPALIVE on the TCP dial (see DialTcpOptions.keepAliveSec). */
  keepAliveSec?: number;
}

/**
 * Opens a TCP connection to `target` through `proxy`. The returned Conn is the plain TCP conn
 * to the proxy (so native TLS can still start on it) unless the proxy is https or sent bytes
 * past its reply.
 */
export async function dialViaProxy(
  proxy: ProxyURL,
  target: { hostname: string; port: number },
  opts: ProxyDialOptions = {},
): Promise<Conn> {
  const tcp = await dialTcp({
    hostname: proxy.hostname,
    port: proxy.port,
    timeoutMs: opts.timeoutMs,
    localIP: opts.localIP,
    keepAliveSec: opts.keepAliveSec,
  });
  let conn: Conn = tcp;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  if (opts.timeoutMs && opts.timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, opts.timeoutMs);
  }
  try {
    if (proxy.type === "https") {
      conn = await startClientTls(conn, {
        hostname: proxy.hostname,
        sendCustomFirstByte: false,
        engine: "node",
        verifyWithSystemRoots: true,
      }).catch((err) => {
        throw new Error(`TLS handshake with HTTPS proxy: ${(err as Error).message}`, {
          cause: err,
        });
      });
    }
    if (proxy.type === "socks5") return await socks5Connect(conn, proxy, target);
    return await httpConnect(conn, proxy, target);
  } catch (err) {
    conn.close();
    if (timedOut) throw new TimeoutError(`proxy handshake with ${proxy.hostname}: i/o timeout`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function hostPort(t: { hostname: string; port: number }): string {
  const h = unbracket(t.hostname);
  return h.includes(":") ? `[${h}]:${t.port}` : `${h}:${t.port}`;
}

/** Go http.Request.Write of golib's CONNECT, then http.ReadResponse; status must be 200. */
async function httpConnect(
  conn: Conn,
  proxy: ProxyURL,
  target: { hostname: string; port: number },
): Promise<Conn> {
  const addr = hostPort(target);
  let head = `CONNECT ${addr} HTTP/1.1\r\nHost: ${addr}\r\nUser-Agent: Mozilla/5.0\r\n`;
  if (proxy.auth) {
    const raw = new TextEncoder().encode(`${proxy.auth.username}:${proxy.auth.password}`);
    head += `Proxy-Authorization: Basic ${btoa(String.fromCharCode(...raw))}\r\n`;
  }
  await writeAll(conn, new TextEncoder().encode(head + "\r\n"));
  // Read the response head; frps never speaks first, so bytes past it are unexpected but kept.
  const buf = new Uint8Array(8192);
  let got = 0;
  let end = -1;
  while (end < 0) {
    if (got === buf.length) throw new Error("proxy response header too large");
    const n = await conn.read(buf.subarray(got));
    if (n === null) throw new Error("unexpected EOF reading the proxy's CONNECT response");
    got += n;
    end = indexOfHeadEnd(buf.subarray(0, got));
  }
  const text = new TextDecoder("latin1").decode(buf.subarray(0, end));
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(text);
  if (!m) {
    throw new Error(`malformed HTTP response from proxy: ${JSON.stringify(text.split("\r\n")[0])}`);
  }
  const status = Number(m[1]);
  if (status !== 200) throw new Error(`DialTcpByHttpProxy error, StatusCode [${status}]`);
  return withPrefix(conn, buf.slice(end, got));
}

function indexOfHeadEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) {
    if (b[i] === 0x0a && b[i - 1] === 0x0d && b[i - 2] === 0x0a && b[i - 3] === 0x0d) return i + 1;
  }
  return -1;
}

async function readExactly(conn: Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) throw new Error("unexpected EOF from SOCKS5 proxy");
    got += r;
  }
  return out;
}

const SOCKS_ERRORS: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** golang.org/x/net/proxy SOCKS5 client: greeting, optional RFC 1929 auth, CONNECT. */
async function socks5Connect(
  conn: Conn,
  proxy: ProxyURL,
  target: { hostname: string; port: number },
): Promise<Conn> {
  const where = `socks connect tcp ${hostPort(proxy)}->${hostPort(target)}`;
  const enc = new TextEncoder();
  await writeAll(conn, Uint8Array.from(proxy.auth ? [5, 2, 0, 2] : [5, 1, 0]));
  const choice = await readExactly(conn, 2);
  if (choice[0] !== 5) throw new Error(`${where}: unexpected protocol version ${choice[0]}`);
  if (choice[1] === 0xff) throw new Error(`${where}: no acceptable authentication methods`);
  if (choice[1] === 2) {
    if (!proxy.auth) throw new Error(`${where}: unsupported authentication method 2`);
    const u = enc.encode(proxy.auth.username);
    const p = enc.encode(proxy.auth.password);
    if (u.length < 1 || u.length > 255 || p.length > 255) {
      throw new Error(`${where}: invalid username/password`);
    }
    await writeAll(conn, Uint8Array.from([1, u.length, ...u, p.length, ...p]));
    const r = await readExactly(conn, 2);
    if (r[0] !== 1) throw new Error(`${where}: invalid username/password version`);
    if (r[1] !== 0) throw new Error(`${where}: username/password authentication failed`);
  } else if (choice[1] !== 0) {
    throw new Error(`${where}: unsupported authentication method ${choice[1]}`);
  }
  const host = unbracket(target.hostname);
  let addr: number[];
  if (isIpLiteral(host) && !host.includes(":")) addr = [1, ...host.split(".").map(Number)];
  else if (isIpLiteral(host)) addr = [4, ...ipv6(host)];
  else {
    const h = enc.encode(host);
    if (h.length > 255) throw new Error(`${where}: FQDN too long`);
    addr = [3, h.length, ...h];
  }
  await writeAll(
    conn,
    Uint8Array.from([5, 1, 0, ...addr, target.port >> 8, target.port & 0xff]),
  );
  const rep = await readExactly(conn, 4);
  if (rep[0] !== 5) throw new Error(`${where}: unexpected protocol version ${rep[0]}`);
  if (rep[1] !== 0) {
    throw new Error(`${where}: ${SOCKS_ERRORS[rep[1]] ?? `unknown code: ${rep[1]}`}`);
  }
  let skip: number;
  if (rep[3] === 1) skip = 4;
  else if (rep[3] === 4) skip = 16;
  else if (rep[3] === 3) skip = (await readExactly(conn, 1))[0];
  else throw new Error(`${where}: unknown address type ${rep[3]}`);
  await readExactly(conn, skip + 2);
  return conn;
}

function ipv6(ip: string): number[] {
  const [l, r] = ip.split("::");
  const lp = l ? l.split(":") : [];
  const rp = r ? r.split(":") : [];
  const groups = [...lp, ...Array(Math.max(0, 8 - lp.length - rp.length)).fill("0"), ...rp];
  return groups.slice(0, 8).flatMap((g) => {
    const v = parseInt(g, 16) || 0;
    return [v >> 8, v & 0xff];
  });
}
