/**
 * `http_proxy` (behaviour.md §9.1): an HTTP proxy on each work conn. `CONNECT` (first 7 bytes,
 * case-insensitive) is tunnelled to the requested host:port; other requests are forwarded to
 * their absolute `http://` URL. Optional Basic proxy auth (httpUser/httpPassword).
 *
 * @module
 */
import type { HTTPProxyPluginOptions } from "../../config/types.ts";
import { BufReader, type Headers1, parseRequestHead } from "../../protocol/http_codec.ts";
import { PrefixedDuplex, readFull, relay, writeAll } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import { dialTcp } from "../../transport/mod.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import {
  constantTimeEq,
  decodeBasic,
  forward,
  READ_HEADER_TIMEOUT_MS,
  respond,
  respondError,
  safeClose,
  serveHttp,
  type ServerRequest,
  sleep,
  splitHostPort,
  withDeadline,
} from "./_http.ts";

const enc = new TextEncoder();

/** Exactly what Go writes for a CONNECT that fails auth. */
export const CONNECT_407 =
  "HTTP/1.1 407 Not authorized\r\nConnection: close\r\nProxy-Authenticate: Basic\r\n" +
  "Content-Length: 0\r\n\r\n";
/** What Go writes when the CONNECT target cannot be dialled. */
export const CONNECT_400 = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

/** Creates the plugin. */
export function createHttpProxyPlugin(opts: HTTPProxyPluginOptions): Promise<ClientPlugin> {
  const user = opts.httpUser ?? "";
  const pass = opts.httpPassword ?? "";

  /** Go's HTTPProxy.Auth (scheme word not checked; 200 ms delay on a wrong pair). */
  const auth = async (h: Headers1): Promise<boolean> => {
    if (user === "" && pass === "") return true;
    const v = h.get("proxy-authorization") ?? "";
    const sp = v.indexOf(" ");
    if (sp < 0) return false;
    const pair = decodeBasic(v.slice(sp + 1));
    if (!pair) return false;
    if (!constantTimeEq(pair[0], user) || !constantTimeEq(pair[1], pass)) {
      await sleep(200);
      return false;
    }
    return true;
  };

  const handleConnect = async (c: PluginConn, conn: PrefixedDuplex): Promise<void> => {
    const reader = new BufReader(conn);
    let head;
    try {
      const text = await withDeadline(reader.readHead(), READ_HEADER_TIMEOUT_MS, conn);
      if (text === null) throw new Error("EOF");
      head = parseRequestHead(text);
    } catch {
      safeClose(conn);
      return;
    }
    try {
      if (!(await auth(head.headers))) {
        await writeAll(conn, enc.encode(CONNECT_407));
        return;
      }
      const { host, port } = splitHostPort(head.target, 0);
      let remote;
      try {
        remote = await dialTcp({ hostname: host, port });
      } catch (err) {
        c.log.debug(`http_proxy: dial ${head.target} error: ${errorText(err)}`);
        await writeAll(conn, enc.encode(CONNECT_400));
        return;
      }
      await writeAll(conn, enc.encode("HTTP/1.1 200 OK\r\n\r\n"));
      await relay(remote, new PrefixedDuplex(conn, reader.take(reader.buffered)));
    } catch {
      // peer gone
    } finally {
      safeClose(conn);
    }
  };

  const handleHttp = async (req: ServerRequest, log: PluginConn["log"]): Promise<void> => {
    if (!(await auth(req.headers))) {
      return await respond(req, 407, [["Proxy-Authenticate", "Basic"]]);
    }
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(req.target);
    const scheme = m ? m[1].toLowerCase() : "";
    if (scheme !== "http") {
      const text = scheme === "https"
        ? "https absolute-form requests are not supported by this http_proxy; use CONNECT"
        : `unsupported protocol scheme ${JSON.stringify(scheme)}`;
      return await respondError(req, 500, text);
    }
    await forward(req, { upstream: { scheme: "http", addr: req.host }, mode: "forward", log });
  };

  return Promise.resolve({
    name: "http_proxy",
    async handle(c: PluginConn): Promise<void> {
      const first = new Uint8Array(7);
      try {
        await withDeadline(readFull(c.conn, first), READ_HEADER_TIMEOUT_MS, c.conn);
      } catch {
        safeClose(c.conn);
        return;
      }
      const conn = new PrefixedDuplex(c.conn, first);
      if (new TextDecoder().decode(first).toUpperCase() === "CONNECT") {
        return await handleConnect(c, conn);
      }
      await serveHttp(conn, (req) => handleHttp(req, c.log), { log: c.log });
    },
    close() {},
  });
}
