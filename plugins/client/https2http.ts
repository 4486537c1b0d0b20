/**
 * `https2http` (behaviour.md §9.6): TLS termination on the work conn (crtPath/keyPath or a
 * generated certificate), then an HTTP/1.1 reverse proxy to `http://localAddr`. 421 when SNI
 * and Host differ; X-Forwarded-For gets the user's address appended, X-Forwarded-Host = Host,
 * X-Forwarded-Proto = https. HTTP/2 is not offered (ALPN absent), whatever `enableHTTP2` says.
 *
 * @module
 */
import type { HTTPS2HTTPPluginOptions, HTTPS2HTTPSPluginOptions } from "../../config/types.ts";
import { errorText } from "../../protocol/errors.ts";
import { createTlsServerContext, NodeStreamConn, serverHandshake } from "../../transport/mod.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { asConn, bridgeHandler, READ_HEADER_TIMEOUT_MS, safeClose, serveHttp } from "./_http.ts";
import { peerOf } from "./http2http.ts";

/** The https2http / https2https plugin body; `scheme` is the upstream scheme. */
export async function createHttpsBridge(
  opts: HTTPS2HTTPPluginOptions | HTTPS2HTTPSPluginOptions,
  scheme: "http" | "https",
): Promise<ClientPlugin> {
  const ctx = await createTlsServerContext(
    opts.crtPath && opts.keyPath ? { certFile: opts.crtPath, keyFile: opts.keyPath } : {},
  );
  return {
    name: opts.type,
    async handle(c: PluginConn): Promise<void> {
      // The user's address when frps sent it, else the work conn's peer (Go useSourceRemoteAddr).
      const remote = c.srcAddr ?? peerOf(c);
      let tls;
      try {
        tls = await serverHandshake(asConn(c.conn, remote), ctx, READ_HEADER_TIMEOUT_MS);
      } catch (err) {
        c.log.debug(`http: TLS handshake error: ${errorText(err)}`);
        safeClose(c.conn);
        return;
      }
      let sni = "";
      if (tls instanceof NodeStreamConn) {
        const name = (tls.stream as unknown as { servername?: string | false }).servername;
        if (typeof name === "string") sni = name;
      }
      const handler = bridgeHandler({
        upstream: { scheme, addr: opts.localAddr },
        hostHeaderRewrite: opts.hostHeaderRewrite,
        requestHeaders: opts.requestHeaders,
        xForwarded: "append",
        checkMisdirected: true,
        log: c.log,
      });
      await serveHttp(tls, handler, { log: c.log, remoteAddr: remote, tlsServerName: sni });
    },
    close() {},
  };
}

/** Creates the plugin. */
export function createHttps2HttpPlugin(opts: HTTPS2HTTPPluginOptions): Promise<ClientPlugin> {
  return createHttpsBridge(opts, "http");
}
