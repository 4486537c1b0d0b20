/**
 * https proxies (frp server/proxy/https.go, behaviour.md §2): one SNI route per domain on the
 * vhostHTTPSPort muxer (no TLS termination), or membership of an https group.
 *
 * @module
 */
import type { ProxyContext, ServerProxy } from "./base.ts";
import { registerMuxRoutes } from "./_mux_routes.ts";

/** Starts an https proxy. */
export function createHttpsProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server } = ctx;
  const mux = server.vhost.https;
  if (!mux) {
    return Promise.reject(new Error("type [https] not supported when vhost https port is not set"));
  }
  return registerMuxRoutes(ctx, {
    type: "https",
    mux,
    groups: server.groups.https,
    port: server.config.vhostHTTPSPort,
    routeByHTTPUser: "",
    auth: { username: "", password: "" },
    groupParams: (domain) => domain,
    describe: (domain, group) => `https proxy listen for host [${domain}] group [${group}]`,
  });
}
