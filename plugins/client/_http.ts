/**
 * HTTP bits shared by the frpc HTTP plugins: an HTTP/1.1 server loop over one work conn (Go
 * `http.Server` with ReadHeaderTimeout 60 s), simple responses as Go's server writes them, Basic
 * auth, and the reverse proxy of the bridge plugins (Go `httputil.ReverseProxy`).
 *
 * @module
 */
import type { Conn, Duplex, NetAddr } from "../../protocol/duplex.ts";
import { PrefixedDuplex, relay, writeAll } from "../../protocol/io.ts";
import {
  type BodyFraming,
  BufReader,
  copyBody,
  type HeaderList,
  Headers1,
  httpDate,
  HttpError,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  type RequestHead,
  responseFraming,
  serializeHead,
  statusText,
  tokens,
} from "../../protocol/http_codec.ts";
import { errorText } from "../../protocol/errors.ts";
import { dialTcp, startClientTls } from "../../transport/mod.ts";
import type { Logger } from "../../log/logger.ts";

/** Go's ReadHeaderTimeout of the plugin servers. */
export const READ_HEADER_TIMEOUT_MS = 60_000;

const enc = new TextEncoder();
const NO_ADDR: NetAddr = { hostname: "", port: 0 };

/** A Duplex as a Conn (TLS helpers want endpoint addresses). */
export function asConn(d: Duplex, remote: NetAddr = NO_ADDR): Conn {
  if ("localAddr" in d && "remoteAddr" in d) return d as Conn;
  return {
    localAddr: NO_ADDR,
    remoteAddr: remote,
    read: (p) => d.read(p),
    write: (p) => d.write(p),
    closeWrite: () => d.closeWrite(),
    close: () => d.close(),
  };
}

/** Closes without throwing. */
export function safeClose(d: Duplex): void {
  try {
    d.close();
  } catch {
    // already closed
  }
}

/** Awaits `p`; after `ms` closes `d` (which makes `p` settle) and throws. */
export async function withDeadline<T>(p: Promise<T>, ms: number, d: Duplex): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          safeClose(d);
          reject(new Error("i/o timeout"));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (timedOut) p.catch(() => {});
  }
}

/** Go's util.ConstantTimeEqString. */
export function constantTimeEq(a: string, b: string): boolean {
  const x = enc.encode(a);
  const y = enc.encode(b);
  if (x.length !== y.length) return false;
  let d = 0;
  for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
  return d === 0;
}

/** Decodes "user:pass" from the base64 part of an auth header, or null. */
export function decodeBasic(b64: string): [string, string] | null {
  let text: string;
  try {
    const bin = atob(b64);
    text = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const i = text.indexOf(":");
  return i < 0 ? null : [text.slice(0, i), text.slice(i + 1)];
}

/** Go's Request.BasicAuth: `Authorization: Basic <b64>` (scheme case-insensitive). */
export function basicAuth(h: Headers1): [string, string] | null {
  const v = h.get("authorization") ?? "";
  if (v.length < 6 || v.slice(0, 6).toLowerCase() !== "basic ") return null;
  return decodeBasic(v.slice(6));
}

/** Sleeps `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One request as a handler sees it. */
export interface ServerRequest {
  head: RequestHead;
  method: string;
  /** The request target as received. */
  target: string;
  /** Path part of the target (still percent-encoded). */
  path: string;
  /** Query including "?", or "". */
  query: string;
  headers: Headers1;
  /** Host: the absolute-form authority, else the Host header. */
  host: string;
  framing: BodyFraming;
  reader: BufReader;
  conn: Duplex;
  /** The peer as Go's server sees it (plugins may substitute the user's address). */
  remoteAddr?: NetAddr;
  /** TLS SNI when served over TLS ("" without SNI), undefined for plain HTTP. */
  tlsServerName?: string;
  /** Whether the client wants the connection closed after this exchange. */
  wantsClose: boolean;
  /** Set by a handler that took the raw connection over (CONNECT, upgrades). */
  hijacked?: boolean;
  /** Set when the response asked to close the connection. */
  closeAfter?: boolean;
}

/** Serves one request; the response must be fully written when it resolves. */
export type HttpHandler = (req: ServerRequest) => Promise<void>;

/** Options for {@link serveHttp}. */
export interface ServeOptions {
  remoteAddr?: NetAddr;
  tlsServerName?: string;
  log: Logger;
}

function splitTarget(target: string): { path: string; query: string; host: string | null } {
  let host: string | null = null;
  let rest = target;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)(.*)$/.exec(target);
  if (m) {
    host = m[1].replace(/^[^@]*@/, "");
    rest = m[2] || "/";
  }
  const q = rest.indexOf("?");
  return q < 0
    ? { path: rest, query: "", host }
    : { path: rest.slice(0, q), query: rest.slice(q), host };
}

/**
 * The HTTP/1.1 server loop over one connection: reads request heads (60 s header timeout),
 * calls `handler`, drains unread request bodies, keeps the connection alive as Go would, and
 * closes it at the end.
 */
export async function serveHttp(
  conn: Duplex,
  handler: HttpHandler,
  opts: ServeOptions,
): Promise<void> {
  const reader = new BufReader(conn);
  try {
    for (;;) {
      let headText: string | null;
      try {
        headText = await withDeadline(reader.readHead(), READ_HEADER_TIMEOUT_MS, conn);
      } catch (err) {
        if (err instanceof HttpError) await writeError(conn, err);
        return;
      }
      if (headText === null) return;
      let head: RequestHead;
      let framing: BodyFraming;
      try {
        head = parseRequestHead(headText);
        framing = requestFraming(head);
      } catch (err) {
        if (err instanceof HttpError) await writeError(conn, err);
        return;
      }
      const conns = tokens(head.headers.values("connection"));
      const wantsClose = conns.includes("close") ||
        (head.minor === 0 && !conns.includes("keep-alive"));
      const t = splitTarget(head.target);
      const req: ServerRequest = {
        head,
        method: head.method,
        target: head.target,
        path: t.path,
        query: t.query,
        headers: head.headers,
        host: t.host ?? head.headers.get("host") ?? "",
        framing,
        reader,
        conn,
        remoteAddr: opts.remoteAddr,
        tlsServerName: opts.tlsServerName,
        wantsClose,
      };
      if (head.minor >= 1 && !head.headers.has("host") && t.host === null) {
        await writeError(conn, new HttpError(400, "missing required Host header"));
        return;
      }
      // Go answers "Expect: 100-continue" when the handler first reads the body.
      if (
        framing.kind !== "none" &&
        tokens(head.headers.values("expect")).includes("100-continue")
      ) {
        await writeAll(conn, enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      await handler(req);
      if (req.hijacked) return;
      if (req.wantsClose || req.closeAfter) return;
      // Drain what the handler did not read, so the next head starts at the right byte.
      if (framing.kind !== "none" && !(await copyBody(reader, framing, null))) return;
    }
  } catch (err) {
    opts.log.trace(`http plugin conn error: ${errorText(err)}`);
  } finally {
    safeClose(conn);
  }
}

async function writeError(conn: Duplex, err: HttpError): Promise<void> {
  const text = `${err.status} ${statusText(err.status)}`;
  const body = err.status === 431
    ? "431 Request Header Fields Too Large"
    : `${text}: ${err.message}`;
  await writeAll(
    conn,
    enc.encode(
      `HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    ),
  ).catch(() => {});
}

/** Headers Go's server adds last: Date, then framing; Connection: close when closing. */
function finishHeaders(req: ServerRequest, h: Headers1, contentLength: number | null): HeaderList {
  if (!h.has("date")) h.set("Date", httpDate());
  if (contentLength !== null) h.set("Content-Length", String(contentLength));
  if (req.wantsClose || req.closeAfter) {
    if (req.head.minor >= 1) h.set("Connection", "close");
    else h.del("connection");
  } else if (req.head.minor === 0) {
    h.set("Connection", "keep-alive");
  }
  return h.list;
}

/** Writes a complete response with a fixed body (none for HEAD and bodiless statuses). */
export async function respond(
  req: ServerRequest,
  status: number,
  headers: HeaderList = [],
  body: Uint8Array | string = "",
): Promise<void> {
  const b = typeof body === "string" ? enc.encode(body) : body;
  const h = new Headers1([...headers]);
  const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
  const list = finishHeaders(req, h, bodiless ? null : b.byteLength);
  await writeAll(req.conn, serializeHead(`HTTP/1.1 ${status} ${statusText(status)}`, list));
  if (req.method !== "HEAD" && !bodiless && b.byteLength > 0) await writeAll(req.conn, b);
}

/** Go's http.Error: text/plain, nosniff, body `text + "\n"`. */
export function respondError(
  req: ServerRequest,
  status: number,
  text: string,
  headers: HeaderList = [],
): Promise<void> {
  return respond(req, status, [
    ...headers,
    ["Content-Type", "text/plain; charset=utf-8"],
    ["X-Content-Type-Options", "nosniff"],
  ], text + "\n");
}

/**
 * Writes a response head and then the chunks of `body`: with Content-Length when `length` is
 * known, else chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
 */
export async function respondStream(
  req: ServerRequest,
  status: number,
  headers: HeaderList,
  body: AsyncIterable<Uint8Array> | null,
  length: number | null,
): Promise<void> {
  const h = new Headers1([...headers]);
  const chunked = length === null && req.head.minor >= 1;
  if (length === null && !chunked) req.closeAfter = true;
  if (chunked) h.set("Transfer-Encoding", "chunked");
  const list = finishHeaders(req, h, length);
  await writeAll(req.conn, serializeHead(`HTTP/1.1 ${status} ${statusText(status)}`, list));
  if (req.method === "HEAD" || body === null) return;
  for await (const chunk of body) {
    if (chunk.byteLength === 0) continue;
    if (chunked) await writeAll(req.conn, enc.encode(chunk.byteLength.toString(16) + "\r\n"));
    await writeAll(req.conn, chunk);
    if (chunked) await writeAll(req.conn, enc.encode("\r\n"));
  }
  if (chunked) await writeAll(req.conn, enc.encode("0\r\n\r\n"));
}

// ------------------------------------------------------------------ reverse proxy

/** Go's httputil hop-by-hop headers. */
const HOP_HEADERS = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

function removeHopHeaders(h: Headers1): void {
  for (const t of tokens(h.values("connection"))) h.del(t);
  for (const n of HOP_HEADERS) h.del(n);
}

/** Where and how the reverse proxy sends a request. */
export interface Upstream {
  scheme: "http" | "https";
  /** host:port ([v6]:port); a missing port means 80/443. */
  addr: string;
}

/** Splits "host:port" (IPv6 in brackets) with a default port. */
export function splitHostPort(addr: string, defPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr) ?? /^([^:]*)(?::(\d+))?$/.exec(addr);
  if (!m) return { host: addr, port: defPort };
  return { host: m[1], port: m[2] ? Number(m[2]) : defPort };
}

/** Dials the upstream (TLS without verification for https, as the plugins configure Go). */
export async function dialUpstream(u: Upstream): Promise<Conn> {
  const { host, port } = splitHostPort(u.addr, u.scheme === "https" ? 443 : 80);
  if (!host && !port) throw new Error("http: no Host in request URL");
  const conn = await dialTcp({ hostname: host || "127.0.0.1", port, timeoutMs: 30_000 });
  if (u.scheme === "http") return conn;
  return await startClientTls(conn, {
    hostname: host,
    sendCustomFirstByte: false,
    engine: "node",
  });
}

/** Options of {@link forward}. */
export interface ForwardOptions {
  upstream: Upstream;
  /** Edits the outgoing request headers (after hop-by-hop removal). `host` = outgoing Host. */
  rewrite?: (out: Headers1, req: ServerRequest) => { host?: string } | void;
  /** http_proxy forwards Go-transport style (no upgrades, errors as 500 with text). */
  mode: "reverse" | "forward";
  log: Logger;
}

/**
 * Sends `req` to the upstream and streams the response back (one upstream connection per
 * request). Upstream failures: 502 with an empty body (reverse proxy) or 500 with the error
 * text (forward proxy).
 */
export async function forward(req: ServerRequest, opts: ForwardOptions): Promise<void> {
  const out = req.headers.clone();
  const upType = opts.mode === "reverse" &&
      tokens(req.headers.values("connection")).includes("upgrade")
    ? req.headers.get("upgrade") ?? ""
    : "";
  const teTrailers = tokens(req.headers.values("te")).includes("trailers");
  if (opts.mode === "reverse") {
    removeHopHeaders(out);
    if (teTrailers) out.set("Te", "trailers");
    if (upType) {
      out.set("Connection", "Upgrade");
      out.set("Upgrade", upType);
    }
  } else {
    for (
      const n of [
        "proxy-connection",
        "connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
      ]
    ) out.del(n);
  }
  out.del("content-length");
  const r = opts.rewrite?.(out, req);
  const host = r?.host ?? req.host;
  out.del("host");
  switch (req.framing.kind) {
    case "length":
      out.set("Content-Length", String(req.framing.length));
      break;
    case "chunked":
      out.set("Transfer-Encoding", "chunked");
      break;
    default:
      if (["POST", "PUT", "PATCH"].includes(req.method)) out.set("Content-Length", "0");
  }
  let upstream: Conn;
  try {
    upstream = await dialUpstream(opts.upstream);
  } catch (err) {
    return await upstreamError(req, opts, err);
  }
  const upReader = new BufReader(upstream);
  try {
    const uri = req.path === "" ? "/" : req.path;
    const first = `${req.method} ${req.target === "*" ? "*" : uri + req.query} HTTP/1.1`;
    await writeAll(upstream, serializeHead(first, [["Host", host], ...out.list]));
    const bodyDone = copyBody(req.reader, req.framing, upstream).then((ok) => {
      if (!ok) req.closeAfter = true;
    });
    bodyDone.catch(() => {});
    for (;;) {
      const text = await upReader.readHead();
      if (text === null) throw new Error("EOF");
      const res = parseResponseHead(text);
      if (res.status === 101 && upType) {
        await bodyDone.catch(() => {});
        const rh = res.headers.clone();
        await writeAll(req.conn, serializeHead(`HTTP/1.1 101 ${statusText(101)}`, rh.list));
        req.hijacked = true;
        const client = new PrefixedDuplex(req.conn, req.reader.take(req.reader.buffered));
        const server = new PrefixedDuplex(upstream, upReader.take(upReader.buffered));
        await relay(client, server);
        return;
      }
      if (res.status >= 100 && res.status < 200) {
        if (res.status !== 100 || opts.mode === "reverse") {
          await writeAll(
            req.conn,
            serializeHead(`HTTP/1.1 ${res.status} ${statusText(res.status)}`, res.headers.list),
          );
        }
        continue;
      }
      await bodyDone.catch(() => {
        req.closeAfter = true;
      });
      const framing = responseFraming(req.method, res);
      const rh = res.headers.clone();
      removeHopHeaders(rh);
      if (opts.mode === "forward") rh.del("connection");
      let length: number | null = null;
      if (framing.kind === "length") length = framing.length;
      else if (framing.kind === "none") {
        const cl = res.headers.get("content-length");
        if (cl !== undefined && /^\d+$/.test(cl.trim())) length = Number(cl.trim());
      }
      rh.del("content-length");
      const chunked = length === null && framing.kind !== "none" && req.head.minor >= 1;
      if (length === null && framing.kind !== "none" && !chunked) req.closeAfter = true;
      if (chunked) rh.set("Transfer-Encoding", "chunked");
      const list = finishHeaders(req, rh, length);
      const reason = res.reason || statusText(res.status);
      await writeAll(req.conn, serializeHead(`HTTP/1.1 ${res.status} ${reason}`, list));
      if (framing.kind === "none" || req.method === "HEAD") return;
      const ok = await copyBody(upReader, framing, req.conn, {
        rechunk: chunked && framing.kind === "close",
      });
      if (!ok) req.closeAfter = true;
      return;
    }
  } catch (err) {
    req.closeAfter = true;
    if (!req.hijacked) await upstreamError(req, opts, err).catch(() => {});
  } finally {
    safeClose(upstream);
  }
}

async function upstreamError(req: ServerRequest, opts: ForwardOptions, err: unknown) {
  if (opts.mode === "reverse") {
    opts.log.warn(`http: proxy error: ${errorText(err)}`);
    await respond(req, 502);
  } else {
    await respondError(req, 500, errorText(err));
  }
}

/** Go's httppkg.CanonicalHost: lower-case host without port or trailing dot. */
export function canonicalHost(host: string): string {
  let h = host.trim().toLowerCase();
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (m) h = m[1];
  else if (/^[^:]*:\d*$/.test(h)) h = h.slice(0, h.lastIndexOf(":"));
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/** frp's rewriteHTTPPluginRequest: Host override and requestHeaders.set (Header.Set). */
export function applyPluginRewrite(
  out: Headers1,
  hostHeaderRewrite: string | undefined,
  set: Record<string, string> | undefined,
): { host?: string } {
  for (const [k, v] of Object.entries(set ?? {})) {
    // Go's transport writes Host from req.Host, never from the header map.
    if (k.toLowerCase() !== "host") out.set(k, v);
  }
  return hostHeaderRewrite ? { host: hostHeaderRewrite } : {};
}

// ------------------------------------------------------------------ bridge plugins

/** How a bridge plugin treats Forwarded / X-Forwarded-* (behaviour.md §9.5–9.6). */
export type XForwardedMode = "strip" | "copy" | "append";

const XF_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"];

/** Options of {@link bridgeHandler}. */
export interface BridgeOptions {
  upstream: Upstream;
  hostHeaderRewrite?: string;
  requestHeaders?: { set?: Record<string, string> };
  xForwarded: XForwardedMode;
  /** Answer 421 when SNI and Host disagree (the https bridges). */
  checkMisdirected: boolean;
  log: Logger;
}

/** The request handler of http2http / http2https / https2http / https2https. */
export function bridgeHandler(o: BridgeOptions): HttpHandler {
  return async (req) => {
    if (o.checkMisdirected && req.tlsServerName !== undefined) {
      const sni = canonicalHost(req.tlsServerName);
      if (sni !== "" && sni !== canonicalHost(req.host)) return await respond(req, 421);
    }
    await forward(req, {
      upstream: o.upstream,
      mode: "reverse",
      log: o.log,
      rewrite: (out, r) => {
        // ReverseProxy with Rewrite drops these before calling the rewrite function.
        for (const n of XF_HEADERS) out.del(n);
        if (o.xForwarded === "copy") {
          for (const n of ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"]) {
            for (const v of r.headers.values(n)) out.add(n, v);
          }
        } else if (o.xForwarded === "append") {
          // ProxyRequest.SetXForwarded after restoring the incoming X-Forwarded-For.
          const prior = r.headers.values("x-forwarded-for");
          if (r.remoteAddr && r.remoteAddr.hostname) {
            const ip = r.remoteAddr.hostname;
            out.set("X-Forwarded-For", prior.length > 0 ? `${prior.join(", ")}, ${ip}` : ip);
          }
          if (r.host) out.set("X-Forwarded-Host", r.host);
          else out.del("x-forwarded-host");
          out.set("X-Forwarded-Proto", r.tlsServerName !== undefined ? "https" : "http");
        }
        return applyPluginRewrite(out, o.hostHeaderRewrite, o.requestHeaders?.set);
      },
    });
  };
}
