/**
 * The HTTP/1.1 client of frps's server plugins (pkg/plugin/server/http.go): a POST with the
 * header bytes Go's `http.Client` sends (Host, User-Agent, Content-Length, the request headers
 * in sorted order, then Accept-Encoding: gzip), kept-alive connections (at most two idle per
 * plugin, dropped after 90 s as Go's transport does), transparent gzip, TLS without
 * verification unless asked.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import {
  BufReader,
  copyBody,
  latin1Encode,
  parseResponseHead,
  responseFraming,
  tokens,
} from "../../protocol/http_codec.ts";
import { writeAll } from "../../protocol/io.ts";
import { dialTcp, startClientTls } from "../../transport/mod.ts";

const MAX_IDLE = 2;
const IDLE_TIMEOUT_MS = 90_000;
/** Go's DefaultTransport dialer timeout (the `http://` client); the https one has none. */
const HTTP_DIAL_TIMEOUT_MS = 30_000;
const NO_TIMEOUT_MS = 2 ** 31 - 1;

/** A parsed plugin URL (`addr + path`, `http://` added when there is no scheme). */
export interface PluginURL {
  https: boolean;
  /** `host[:port]` as written (the Host header). */
  host: string;
  hostname: string;
  port: number;
  /** Path (and query, if the config had one), at least `/`. */
  path: string;
}

/** Splits a URL the way Go's url.Parse + Request.write use it. */
export function parsePluginURL(url: string): PluginURL {
  const m = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!m) throw new Error(`parse "${url}": invalid URL`);
  const https = m[1].toLowerCase() === "https";
  const host = m[2].replace(/^.*@/, "");
  let hostname = host;
  let port = https ? 443 : 80;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (hp) {
    hostname = hp[1].replace(/^\[|\]$/g, "");
    if (hp[2]) port = Number(hp[2]);
  }
  return { https, host, hostname: hostname || "127.0.0.1", port, path: m[3] || "/" };
}

interface IdleConn {
  conn: Conn;
  reader: BufReader;
  since: number;
}

/** A plugin's HTTP client. */
export class PluginHttpClient {
  readonly url: PluginURL;
  readonly #tlsVerify: boolean;
  #idle: IdleConn[] = [];
  #closed = false;

  constructor(url: string, tlsVerify: boolean) {
    this.url = parsePluginURL(url);
    this.#tlsVerify = tlsVerify;
  }

  /**
   * POSTs `body` to the plugin URL plus `query`; resolves to the status and the (decoded)
   * response body. A kept-alive connection that fails before any response byte is retried
   * once on a fresh connection, as Go retries requests on a stale idle conn.
   */
  async post(
    query: string,
    headers: [string, string][],
    body: Uint8Array,
  ): Promise<{ status: number; body: Uint8Array }> {
    const sep = this.url.path.includes("?") ? "&" : "?";
    let head = `POST ${this.url.path}${sep}${query} HTTP/1.1\r\nHost: ${this.url.host}\r\n` +
      `User-Agent: Go-http-client/1.1\r\nContent-Length: ${body.length}\r\n`;
    for (const [k, v] of [...headers].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      head += `${k}: ${v}\r\n`;
    }
    head += "Accept-Encoding: gzip\r\n\r\n";
    const req = new Uint8Array(head.length + body.length);
    req.set(latin1Encode(head));
    req.set(body, head.length);
    for (;;) {
      const idle = this.#takeIdle();
      const c = idle ?? await this.#dial();
      let gotBytes = false;
      try {
        return await this.#roundTrip(c, req, () => (gotBytes = true));
      } catch (err) {
        c.conn.close();
        if (idle && !gotBytes) continue;
        throw err;
      }
    }
  }

  #takeIdle(): IdleConn | undefined {
    const now = Date.now();
    while (this.#idle.length) {
      const c = this.#idle.pop()!;
      if (now - c.since < IDLE_TIMEOUT_MS && !c.reader.eof) return c;
      c.conn.close();
    }
    return undefined;
  }

  async #dial(): Promise<IdleConn> {
    const { https, hostname, port } = this.url;
    const tcp = await dialTcp({
      hostname,
      port,
      timeoutMs: https ? undefined : HTTP_DIAL_TIMEOUT_MS,
      keepAliveSec: 30,
    });
    const conn = https
      ? await startClientTls(tcp, {
        hostname,
        sendCustomFirstByte: false,
        engine: "node",
        verifyWithSystemRoots: this.#tlsVerify,
        timeoutMs: NO_TIMEOUT_MS,
      })
      : tcp;
    return { conn, reader: new BufReader(conn), since: 0 };
  }

  async #roundTrip(
    c: IdleConn,
    req: Uint8Array,
    onFirstByte: () => void,
  ): Promise<{ status: number; body: Uint8Array }> {
    await writeAll(c.conn, req);
    let res;
    for (;;) {
      const text = await c.reader.readHead(undefined, onFirstByte);
      if (text === null) throw new Error("EOF");
      res = parseResponseHead(text);
      if (res.status >= 100 && res.status < 200 && res.status !== 101) continue; // 1xx
      break;
    }
    const framing = responseFraming("POST", res);
    const chunks: Uint8Array[] = [];
    const complete = await copyBody(c.reader, framing, null, {
      transform: (p) => {
        chunks.push(p.slice());
        return Promise.resolve();
      },
    });
    if (!complete) throw new Error("unexpected EOF");
    let out = concat(chunks);
    const reuse = framing.kind !== "close" && res.minor >= 1 &&
      !tokens(res.headers.values("connection")).includes("close");
    if (reuse && !this.#closed && this.#idle.length < MAX_IDLE) {
      c.since = Date.now();
      this.#idle.push(c);
    } else {
      c.conn.close();
    }
    if (tokens(res.headers.values("content-encoding")).includes("gzip")) {
      out = await gunzip(out);
    }
    return { status: res.status, body: out };
  }

  /** Closes the idle connections. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle) c.conn.close();
    this.#idle = [];
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
