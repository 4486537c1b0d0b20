/**
 * `tls2raw` (behaviour.md §9.7): terminate TLS on the work conn (crtPath/keyPath, or a
 * generated certificate), dial localAddr, write the PROXY header if configured, splice.
 *
 * @module
 */
import type { TLS2RawPluginOptions } from "../../config/types.ts";
import { relay, writeAll } from "../../protocol/io.ts";
import { errorText } from "../../protocol/errors.ts";
import { createTlsServerContext, dialTcp, serverHandshake } from "../../transport/mod.ts";
import type { ClientPlugin, PluginConn } from "./types.ts";
import { asConn, safeClose, splitHostPort } from "./_http.ts";

/** Creates the plugin (loads or generates the certificate once). */
export async function createTls2RawPlugin(opts: TLS2RawPluginOptions): Promise<ClientPlugin> {
  const ctx = await createTlsServerContext(
    opts.crtPath && opts.keyPath ? { certFile: opts.crtPath, keyFile: opts.keyPath } : {},
  );
  return {
    name: "tls2raw",
    async handle(c: PluginConn): Promise<void> {
      let tls;
      try {
        tls = await serverHandshake(asConn(c.conn, c.srcAddr), ctx);
      } catch (err) {
        c.log.warn(`tls handshake error: ${errorText(err)}`);
        safeClose(c.conn);
        return;
      }
      let raw;
      try {
        const { host, port } = splitHostPort(opts.localAddr, 0);
        raw = await dialTcp({ hostname: host || "127.0.0.1", port });
      } catch (err) {
        c.log.warn(`dial to local addr error: ${errorText(err)}`);
        safeClose(tls);
        return;
      }
      if (c.proxyProtocolHeader) {
        try {
          await writeAll(raw, c.proxyProtocolHeader);
        } catch (err) {
          c.log.warn(`tls2raw write proxy protocol header to local conn error: ${errorText(err)}`);
          safeClose(raw);
          safeClose(tls);
          return;
        }
      }
      await relay(tls, raw);
    },
    close() {},
  };
}
