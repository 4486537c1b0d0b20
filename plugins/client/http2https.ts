/**
 * `http2https` (behaviour.md §9.5): an HTTP/1.1 server on the work conn reverse-proxying to
 * `https://localAddr` without certificate verification; X-Forwarded-For/Host/Proto are copied
 * unchanged from the incoming request, Forwarded is dropped.
 *
 * @module
 */
import type { HTTP2HTTPSPluginOptions } from "../../config/types.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { bridgeHandler, serveHttp } from "./_http.ts";
import { peerOf } from "./http2http.ts";

/** Creates the plugin. */
export function createHttp2HttpsPlugin(opts: HTTP2HTTPSPluginOptions): Promise<ClientPlugin> {
  return Promise.resolve({
    name: "http2https",
    handle(c: PluginConn): Promise<void> {
      const handler = bridgeHandler({
        upstream: { scheme: "https", addr: opts.localAddr },
        hostHeaderRewrite: opts.hostHeaderRewrite,
        requestHeaders: opts.requestHeaders,
        xForwarded: "copy",
        checkMisdirected: false,
        log: c.log,
      });
      return serveHttp(c.conn, handler, { log: c.log, remoteAddr: peerOf(c) });
    },
    close() {},
  });
}
