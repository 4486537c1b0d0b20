/**
 * The HTTP vhost reverse proxy (frp's pkg/util/vhost/http.go on Go's httputil.ReverseProxy,
 * behaviour.md §1): parses requests itself over raw sockets, routes by Host/path/user,
 * authenticates, rewrites headers as Go's ReverseProxy + frp's Rewrite hook do, and forwards
 * over kept-alive work connections pooled per (route, endpoint).
 *
 * @module
 */
import type { Conn, Duplex, NetAddr } from "../../protocol/duplex.ts";
import { PrefixedDuplex, relay, writeAll } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { canonicalHost, type Routers } from "./router.ts";
import {
  type BodyFraming,
  BufReader,
  canonicalKey,
  copyBody,
  type HeaderList,
  Headers1,
  httpDate,
  HttpError,
  latin1Encode,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  type RequestHead,
  responseFraming,
  type ResponseHead,
  serializeHead,
  statusText,
  tokens,
} from "../../protocol/http_codec.ts";
import { notFoundPage, notFoundResponse } from "./resource.ts";
import { type Backend, BackendPool } from "./backend_pool.ts";
import {
  bytesOf,
  cleanQuery,
  credOk,
  parseBasicAuth,
  type ParsedTarget,
  parseTarget,
  removeHopHeaders,
} from "./http_request.ts";

/** One registered (domain, location, routeByHTTPUser) route of an http proxy or group. */
export interface HttpRoute {
  domain: string;
  location: string;
  routeByHTTPUser: string;
  username: string;
  password: string;
  rewriteHost: string;
  /** requestHeaders.set */
  headers: Record<string, string>;
  /** responseHeaders.set */
  responseHeaders: Record<string, string>;
  /** Groups: picks the member for a request (round robin). */
  chooseEndpoint?: () => string;
  /** Opens a work conn (already wrapped) for `endpoint` (undefined = any member). */
  createConn(endpoint: string | undefined, remote: NetAddr): Promise<Duplex>;
}

/** Options of {@link HttpVhost}. */
export interface HttpVhostOptions {
  router: Routers<HttpRoute>;
  /** vhostHTTPTimeout in seconds (≤0 ⇒ 60). */
  responseHeaderTimeoutS: number;
  custom404Page?: string;
  log: Logger;
}

const HEADER_READ_TIMEOUT_MS = 60_000;
const MAX_DRAIN_BYTES = 256 * 1024;

const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");

class TimeoutError extends Error {}

/** Serves user connections of the HTTP vhost port. */
export class HttpVhost {
  readonly router: Routers<HttpRoute>;
  readonly #opts: HttpVhostOptions;
  readonly #pool = new BackendPool();
  readonly #timeoutMs: number;
  readonly #conns = new Set<Duplex>();

  constructor(opts: HttpVhostOptions) {
    this.#opts = opts;
    this.router = opts.router;
    this.#timeoutMs = (opts.responseHeaderTimeoutS > 0 ? opts.responseHeaderTimeoutS : 60) * 1000;
  }

  /** Drops pooled connections of a route that is going away. */
  dropRoute(route: HttpRoute): void {
    this.#pool.dropRoute(route);
  }

  /** Closes every pooled and user connection. */
  close(): void {
    this.#pool.closeAll();
    for (const c of this.#conns) c.close();
    this.#conns.clear();
  }

  /** Serves one accepted user connection until it closes. */
  handleConn(conn: Conn): void {
    this.#conns.add(conn);
    this.#serve(conn).catch((err) => {
      this.#opts.log.debug(`http vhost connection error: ${errorText(err)}`);
    }).finally(() => {
      this.#conns.delete(conn);
      conn.close();
    });
  }

  async #serve(conn: Conn): Promise<void> {
    const rd = new BufReader(conn);
    let first = true;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        timer = setTimeout(() => conn.close(), HEADER_READ_TIMEOUT_MS);
      };
      if (first) arm();
      let req: RequestHead;
      try {
        const head = await rd.readHead(undefined, first ? undefined : arm);
        if (head === null) return;
        req = parseRequestHead(head);
      } catch (err) {
        if (err instanceof HttpError) await this.#writeGoError(conn, err).catch(() => {});
        return;
      } finally {
        clearTimeout(timer);
      }
      first = false;
      let keep: boolean;
      try {
        keep = await this.#handle(conn, rd, req);
      } catch (err) {
        if (err instanceof HttpError) await this.#writeGoError(conn, err).catch(() => {});
        else this.#opts.log.debug(`http request error: ${errorText(err)}`);
        return;
      }
      if (!keep) return;
    }
  }

  /** Go's server-level error answer for unparsable requests. */
  async #writeGoError(conn: Duplex, err: HttpError): Promise<void> {
    let text = `${err.status} ${statusText(err.status)}`;
    if (err.status === 400 && /Host header/.test(err.message)) text += `: ${err.message}`;
    if (err.status === 501) text = "501 Not Implemented";
    const body = err.status === 501 ? "Unsupported transfer encoding" : text;
    await writeAll(
      conn,
      latin1Encode(
        `HTTP/1.1 ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
  }

  /** Handles one request; resolves to whether the user connection stays open. */
  async #handle(conn: Conn, rd: BufReader, req: RequestHead): Promise<boolean> {
    const is11 = req.major === 1 && req.minor >= 1;
    const hosts = req.headers.values("host");
    if (hosts.length > 1) throw new HttpError(400, "too many Host headers");
    if (is11 && hosts.length === 0 && req.method !== "CONNECT") {
      throw new HttpError(400, "missing required Host header");
    }
    const t = parseTarget(req.method, req.target);
    // Go: req.Host = URL.Host, else the Host header.
    const host = t.urlHost || (hosts[0] ?? "");
    if (/[\s"<>\\^`{|}]/.test(host)) throw new HttpError(400, "malformed Host header");
    const connTokens = tokens(req.headers.values("connection"));
    let keepAlive = is11 ? !connTokens.includes("close") : connTokens.includes("keep-alive");
    const framing = requestFraming(req);

    // Routing user (behaviour.md §1.5) and auth (§1.4).
    const proxyStyle = t.urlHost !== "";
    const proxyAuth = req.headers.get("proxy-authorization");
    const basic = parseBasicAuth(req.headers.get("authorization"));
    let user: string;
    if (proxyStyle && proxyAuth !== undefined && proxyAuth !== "") {
      user = parseBasicAuth(proxyAuth)?.user ?? "";
    } else {
      user = basic?.user ?? "";
    }
    const domain = canonicalHost(host);
    const route = this.router.lookup(domain, t.path, user);
    if (route && !credOk(route, proxyStyle ? parseBasicAuth(proxyAuth) : basic)) {
      const [code, hdr, body] = proxyStyle
        ? [407, "Proxy-Authenticate", "Proxy Authentication Required\n"]
        : [401, "WWW-Authenticate", "Unauthorized\n"];
      keepAlive = await this.#drain(rd, framing) && keepAlive;
      await this.#writeSimple(
        conn,
        req,
        code,
        [
          [hdr, 'Basic realm="Restricted"'],
          ["Content-Type", "text/plain; charset=utf-8"],
          ["X-Content-Type-Options", "nosniff"],
        ],
        utf8.encode(body),
        keepAlive,
      );
      return keepAlive;
    }

    if (req.method === "CONNECT") {
      await this.#connect(conn, rd, req, route, host);
      return false;
    }

    if (!route) {
      this.#opts.log.debug(`http request for host [${domain}] path [${t.path}] not found`);
      keepAlive = await this.#drain(rd, framing) && keepAlive;
      await this.#write404(conn, req, keepAlive);
      return keepAlive;
    }
    return await this.#forward(conn, rd, req, t, host, route, framing, keepAlive);
  }

  /** Reads and discards a small unread request body so the conn can be reused. */
  async #drain(rd: BufReader, framing: BodyFraming): Promise<boolean> {
    if (framing.kind === "none") return true;
    if (framing.kind === "length" && framing.length > MAX_DRAIN_BYTES) return false;
    if (framing.kind === "chunked") return false;
    return await copyBody(rd, framing, null).catch(() => false);
  }

  async #writeSimple(
    conn: Duplex,
    req: RequestHead,
    code: number,
    headers: HeaderList,
    body: Uint8Array,
    keepAlive: boolean,
    sniffed?: string,
  ): Promise<void> {
    // Go: handler headers sorted, then Date, Content-Length, sniffed type, Connection.
    const list: HeaderList = sortedCanonical(headers);
    list.push(["Date", httpDate()], ["Content-Length", String(body.byteLength)]);
    if (sniffed) list.push(["Content-Type", sniffed]);
    if (!keepAlive) list.push(["Connection", "close"]);
    const proto = req.minor >= 1 ? "HTTP/1.1" : "HTTP/1.0";
    const head = serializeHead(`${proto} ${code} ${statusText(code)}`, list);
    const out = new Uint8Array(head.byteLength + (req.method === "HEAD" ? 0 : body.byteLength));
    out.set(head);
    if (req.method !== "HEAD") out.set(body, head.byteLength);
    await writeAll(conn, out);
  }

  #write404(conn: Duplex, req: RequestHead, keepAlive: boolean): Promise<void> {
    const page = notFoundPage(this.#opts.custom404Page, (m) => this.#opts.log.warn(m));
    return this.#writeSimple(
      conn,
      req,
      404,
      [],
      page,
      keepAlive,
      sniffType(page),
    );
  }

  /** HTTP CONNECT on the vhost port (behaviour.md §1.12). */
  async #connect(
    conn: Conn,
    rd: BufReader,
    req: RequestHead,
    route: HttpRoute | undefined,
    host: string,
  ): Promise<void> {
    let work: Duplex | undefined;
    if (route) {
      try {
        work = await route.createConn(undefined, conn.remoteAddr);
      } catch (err) {
        this.#opts.log.warn(`do http connect request [host: ${host}] error: ${errorText(err)}`);
      }
    }
    if (!work) {
      await writeAll(
        conn,
        notFoundResponse(this.#opts.custom404Page, (m) => this.#opts.log.warn(m)),
      ).catch(() => {});
      return;
    }
    const h = req.headers.clone();
    h.del("host");
    const ua = h.get("user-agent");
    h.del("user-agent");
    for (const n of ["content-length", "transfer-encoding", "trailer"]) h.del(n);
    const list: HeaderList = [["Host", host], ["User-Agent", ua ?? "Go-http-client/1.1"]];
    if (ua === "") list.pop();
    list.push(...sortedCanonical(h.list));
    try {
      await writeAll(work, serializeHead(`CONNECT ${req.target} HTTP/1.1`, list));
    } catch {
      work.close();
      return;
    }
    const user = new PrefixedDuplex(conn, rd.take(rd.buffered));
    await relay(user, work).catch(() => {});
  }

  /** Forwards one request over a pooled or new work conn and relays the response. */
  async #forward(
    conn: Conn,
    rd: BufReader,
    req: RequestHead,
    t: ParsedTarget,
    host: string,
    route: HttpRoute,
    framing: BodyFraming,
    keepAlive: boolean,
  ): Promise<boolean> {
    const endpoint = route.chooseEndpoint?.() ?? "";
    const inHeaders = req.headers;
    const out = inHeaders.clone();
    out.del("host");
    // Upgrade handling (Go ReverseProxy): remember the requested protocol.
    const connTokens = tokens(inHeaders.values("connection"));
    const reqUpType = connTokens.includes("upgrade") ? inHeaders.get("upgrade") ?? "" : "";
    const teTrailers = tokens(inHeaders.values("te")).includes("trailers");
    removeHopHeaders(out);
    if (teTrailers) out.set("Te", "trailers");
    if (reqUpType !== "") {
      out.set("Connection", "Upgrade");
      out.set("Upgrade", reqUpType);
    }
    // Rewrite hook: X-Forwarded-*.
    out.del("forwarded");
    out.del("x-forwarded-for");
    out.del("x-forwarded-host");
    out.del("x-forwarded-proto");
    const prior = inHeaders.values("x-forwarded-for");
    const ip = conn.remoteAddr.hostname;
    out.set("X-Forwarded-For", prior.length > 0 ? `${prior.join(", ")}, ${ip}` : ip);
    out.set("X-Forwarded-Host", host);
    out.set("X-Forwarded-Proto", "http");
    const outHost = route.rewriteHost ? bytesOf(route.rewriteHost) : host;
    for (const [k, v] of Object.entries(route.headers)) {
      if (k.toLowerCase() === "host") continue;
      out.set(bytesOf(k), bytesOf(v));
    }
    // Go writes canonical names; frp then spells "Websocket" as "WebSocket".
    const rest = out.list
      .map(([k, v]): [string, string] => [canonicalKey(k).replaceAll("Websocket", "WebSocket"), v]);
    const rh = new Headers1(rest);
    const ua = rh.get("user-agent");
    rh.del("user-agent");
    for (const n of ["content-length", "transfer-encoding", "trailer"]) rh.del(n);
    let requestedGzip = false;
    if (!rh.get("accept-encoding") && !rh.get("range") && req.method !== "HEAD") {
      requestedGzip = true;
    }
    const list: HeaderList = [["Host", outHost]];
    if (ua) list.push(["User-Agent", ua]);
    if (framing.kind === "length") list.push(["Content-Length", String(framing.length)]);
    else if (framing.kind === "chunked") list.push(["Transfer-Encoding", "chunked"]);
    else if (req.method !== "GET" && req.method !== "HEAD") list.push(["Content-Length", "0"]);
    list.push(...sortedCanonical(rh.list));
    if (requestedGzip) list.push(["Accept-Encoding", "gzip"]);
    let uri = t.rawPath;
    if (t.rawQuery !== null) uri += "?" + cleanQuery(t.rawQuery);
    if (t.urlHost !== "") uri = `http://${outHost}${t.rawPath === "" ? "/" : ""}${uri}`;
    const head = serializeHead(`${req.method} ${uri} HTTP/1.1`, list);

    const expectContinue = framing.kind !== "none" &&
      tokens(inHeaders.values("expect")).includes("100-continue") && req.minor >= 1;
    if (expectContinue) await writeAll(conn, latin1Encode("HTTP/1.1 100 Continue\r\n\r\n"));

    // Send, with one retry on a dead pooled conn when nothing of the body was consumed.
    let backend: Backend;
    let res: ResponseHead;
    let bodyDone: Promise<boolean>;
    for (let attempt = 0;; attempt++) {
      let b = this.#pool.take(route, endpoint);
      const reused = !!b;
      if (!b) {
        try {
          const c = await route.createConn(endpoint || undefined, conn.remoteAddr);
          b = { conn: c, rd: new BufReader(c), idle: false };
        } catch (err) {
          this.#opts.log.warn(`do http proxy request [host: ${host}] error: ${errorText(err)}`);
          if (!(await this.#drain(rd, framing))) keepAlive = false;
          await this.#write404(conn, req, keepAlive);
          return keepAlive;
        }
      }
      backend = b;
      const bc = b;
      bodyDone = copyBody(rd, framing, bc.conn, { head });
      bodyDone.catch(() => {});
      try {
        res = await this.#readResponseHead(bc, bodyDone, req, conn);
        break;
      } catch (err) {
        bc.conn.close();
        if (reused && framing.kind === "none" && attempt === 0 && !(err instanceof TimeoutError)) {
          continue;
        }
        this.#opts.log.warn(`do http proxy request [host: ${host}] error: ${errorText(err)}`);
        if (!(await bodyDone.catch(() => false))) keepAlive = false;
        if (err instanceof TimeoutError) {
          await this.#writeSimple(conn, req, 504, [], new Uint8Array(0), keepAlive);
        } else {
          await this.#write404(conn, req, keepAlive);
        }
        return keepAlive;
      }
    }

    const resHeaders = res.headers.clone();
    if (res.status === 101) {
      const resUpType = resHeaders.get("upgrade") ?? "";
      if (reqUpType === "" || resUpType.toLowerCase() !== reqUpType.toLowerCase()) {
        this.#opts.log.warn(
          `do http proxy request [host: ${host}] error: backend tried to switch protocol ${
            JSON.stringify(resUpType)
          } when ${JSON.stringify(reqUpType)} was requested`,
        );
        backend.conn.close();
        await this.#write404(conn, req, false);
        return false;
      }
      for (const [k, v] of Object.entries(route.responseHeaders)) {
        resHeaders.set(bytesOf(k), bytesOf(v));
      }
      const hlist = sortedCanonical(resHeaders.list);
      await writeAll(conn, serializeHead("HTTP/1.1 101 Switching Protocols", hlist));
      const user = new PrefixedDuplex(conn, rd.take(rd.buffered));
      const back = new PrefixedDuplex(backend.conn, backend.rd.take(backend.rd.buffered));
      await relay(user, back).catch(() => {});
      return false;
    }

    // Regular response.
    const resFraming = responseFraming(req.method, res);
    const backendTokens = tokens(res.headers.values("connection"));
    let backendReusable = resFraming.kind !== "close" && !backendTokens.includes("close") &&
      (res.minor >= 1 || backendTokens.includes("keep-alive"));
    removeHopHeaders(resHeaders);
    let gunzip = false;
    if (
      requestedGzip && resFraming.kind !== "none" &&
      (resHeaders.get("content-encoding") ?? "").toLowerCase() === "gzip"
    ) {
      gunzip = true;
      resHeaders.del("content-encoding");
      resHeaders.del("content-length");
    }
    for (const [k, v] of Object.entries(route.responseHeaders)) {
      resHeaders.set(bytesOf(k), bytesOf(v));
    }
    const hlist = sortedCanonical(resHeaders.list);
    const extra: HeaderList = [];
    const hasLength = !gunzip && resHeaders.has("content-length") &&
      resFraming.kind !== "close" && resFraming.kind !== "chunked";
    const noBody = resFraming.kind === "none";
    let chunkToClient = false;
    if (!hasLength && !noBody) {
      if (req.minor >= 1) chunkToClient = true;
      else keepAlive = false;
    }
    if (!hlist.some(([k]) => k === "Date")) extra.push(["Date", httpDate()]);
    if (
      noBody && !resHeaders.has("content-length") && res.status >= 200 && res.status !== 204 &&
      res.status !== 304 && req.method !== "HEAD"
    ) {
      extra.push(["Content-Length", "0"]);
    }
    if (!keepAlive) extra.push(["Connection", "close"]);
    else if (req.minor === 0) extra.push(["Connection", "keep-alive"]);
    if (chunkToClient) extra.push(["Transfer-Encoding", "chunked"]);
    hlist.push(...extra);
    const proto = req.minor >= 1 ? "HTTP/1.1" : "HTTP/1.0";
    const reason = statusText(res.status) || `status code ${res.status}`;
    const resHead = serializeHead(`${proto} ${res.status} ${reason}`, hlist);

    let complete: boolean;
    try {
      if (gunzip) {
        await writeAll(conn, resHead);
        complete = await this.#copyGunzip(backend.rd, resFraming, conn, chunkToClient);
      } else if (resFraming.kind === "chunked" && !chunkToClient) {
        await writeAll(conn, resHead);
        complete = await copyBody(backend.rd, resFraming, null, {
          transform: (p) => writeAll(conn, p),
        });
      } else {
        // The head goes out with the start of the body: one write for a small response.
        complete = await copyBody(backend.rd, resFraming, conn, {
          rechunk: chunkToClient,
          head: resHead,
        });
      }
    } catch (err) {
      backend.conn.close();
      throw err;
    }
    if (!complete) {
      backend.conn.close();
      return false;
    }
    const sent = await bodyDone.catch(() => false);
    if (!sent) backendReusable = false;
    if (backendReusable) this.#pool.put(route, endpoint, backend);
    else backend.conn.close();
    if (!sent) keepAlive = false;
    return keepAlive;
  }

  async #copyGunzip(
    src: BufReader,
    framing: BodyFraming,
    dst: Duplex,
    chunk: boolean,
  ): Promise<boolean> {
    const ds = new DecompressionStream("gzip");
    const writer = ds.writable.getWriter();
    const pump = (async () => {
      const r = ds.readable.getReader();
      for (;;) {
        const { value, done } = await r.read();
        if (done) break;
        if (value.byteLength === 0) continue;
        if (chunk) {
          await writeAll(dst, latin1Encode(value.byteLength.toString(16) + "\r\n"));
          await writeAll(dst, value);
          await writeAll(dst, latin1Encode("\r\n"));
        } else {
          await writeAll(dst, value);
        }
      }
    })();
    pump.catch(() => {});
    const ok = await copyBody(src, framing, null, {
      transform: async (p) => {
        await writer.write(p.slice());
      },
    });
    await writer.close().catch(() => {});
    await pump.catch(() => {});
    if (chunk) await writeAll(dst, latin1Encode("0\r\n\r\n"));
    return ok;
  }

  /**
   * Reads the response head, forwarding 1xx informational responses (except 101) to the user.
   * The vhostHTTPTimeout clock starts once the request is fully written.
   */
  async #readResponseHead(
    b: Backend,
    bodyDone: Promise<boolean>,
    req: RequestHead,
    user: Duplex,
  ): Promise<ResponseHead> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    let settled = false;
    bodyDone.then((ok) => {
      if (settled) return;
      if (!ok) {
        b.conn.close();
        return;
      }
      timer = setTimeout(() => {
        timedOut = true;
        b.conn.close();
      }, this.#timeoutMs);
    }, () => b.conn.close());
    try {
      for (;;) {
        let head: string | null;
        try {
          head = await b.rd.readHead();
        } catch (err) {
          if (timedOut) throw new TimeoutError("timeout awaiting response headers");
          throw err;
        }
        if (head === null) {
          if (timedOut) throw new TimeoutError("timeout awaiting response headers");
          throw new Error("EOF");
        }
        const res = parseResponseHead(head);
        if (res.status >= 100 && res.status < 200 && res.status !== 101) {
          const proto = req.minor >= 1 ? "HTTP/1.1" : "HTTP/1.0";
          await writeAll(
            user,
            serializeHead(
              `${proto} ${res.status} ${statusText(res.status) || `status code ${res.status}`}`,
              sortedCanonical(res.headers.list),
            ),
          );
          continue;
        }
        return res;
      }
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }
}

/** Canonical header names, sorted by name (Go's Header.Write order), values kept in order. */
function sortedCanonical(list: HeaderList): HeaderList {
  const out = list.map(([k, v]): [string, string] => [canonicalKey(k), v]);
  // stable sort by key
  return out.map((e, i) => [e, i] as const).sort((a, b) =>
    a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]
  ).map(([e]) => e);
}

/** Minimal Go DetectContentType for the 404 page (html vs plain text). */
function sniffType(body: Uint8Array): string {
  const head = latin1.decode(body.subarray(0, 512)).trimStart().toLowerCase();
  if (
    /^<(!doctype html|html|head|body|title|h1|p|div|br|table|a|style|script|font|b|iframe|!--)[ >]/
      .test(head)
  ) {
    return "text/html; charset=utf-8";
  }
  return "text/plain; charset=utf-8";
}
