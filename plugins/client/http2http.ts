/**
 * `http2http` (behaviour.md §9.5): an HTTP/1.1 server on the work conn reverse-proxying to
 * `http://localAddr`; Forwarded and X-Forwarded-* are stripped (Go ReverseProxy Rewrite).
 *
 * @module
 */
import type { HTTP2HTTPPluginOptions } from "../../config/types.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { bridgeHandler, serveHttp } from "./_http.ts";

/** Creates the plugin. */
export function createHttp2HttpPlugin(opts: HTTP2HTTPPluginOptions): Promise<ClientPlugin> {
  return Promise.resolve({
    name: "http2http",
    handle(c: PluginConn): Promise<void> {
      const handler = bridgeHandler({
        upstream: { scheme: "http", addr: opts.localAddr ?? "" },
        hostHeaderRewrite: opts.hostHeaderRewrite,
        requestHeaders: opts.requestHeaders,
        xForwarded: "strip",
        checkMisdirected: false,
        log: c.log,
      });
      return serveHttp(c.conn, handler, { log: c.log, remoteAddr: peerOf(c) });
    },
    close() {},
  });
}

/** The address Go's server reports for a plain bridge: the underlying work conn's peer. */
export function peerOf(c: PluginConn): { hostname: string; port: number } | undefined {
  const d = c.conn as { remoteAddr?: { hostname: string; port: number } };
  return d.remoteAddr;
}
