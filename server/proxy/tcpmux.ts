/**
 * tcpmux proxies with multiplexer httpconnect (frp server/proxy/tcpmux.go, behaviour.md §3):
 * one route per domain on the tcpmuxHTTPConnectPort muxer, or membership of a tcpmux group.
 *
 * @module
 */
import type { ProxyContext, ServerProxy } from "./base.ts";
import { registerMuxRoutes } from "./_mux_routes.ts";

/** Starts a tcpmux proxy. */
export function createTcpMuxProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg } = ctx;
  const multiplexer = msg.multiplexer ?? "";
  if (multiplexer !== "httpconnect") {
    return Promise.reject(new Error(`unknown multiplexer [${multiplexer}]`));
  }
  const mux = server.vhost.tcpmux;
  if (!mux) {
    return Promise.reject(
      new Error(
        "tcpmux with multiplexer httpconnect not supported because this feature is not enabled in server",
      ),
    );
  }
  const routeByHTTPUser = msg.route_by_http_user ?? "";
  const auth = { username: msg.http_user ?? "", password: msg.http_pwd ?? "" };
  return registerMuxRoutes(ctx, {
    type: "tcpmux",
    mux,
    groups: server.groups.tcpmux,
    port: server.config.tcpmuxHTTPConnectPort,
    routeByHTTPUser,
    auth,
    groupParams: (domain) =>
      JSON.stringify([domain, routeByHTTPUser, auth.username, auth.password]),
    describe: (domain, group) =>
      `tcpmux httpconnect multiplexer listens for host [${domain}], group [${group}] routeByHTTPUser [${routeByHTTPUser}]`,
  });
}
