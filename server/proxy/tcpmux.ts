/**
 * tcpmux proxies with multiplexer httpconnect (frp server/proxy/tcpmux.go, behaviour.md §3):
 * one route per domain on the tcpmuxHTTPConnectPort muxer, or membership of a tcpmux group.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import { canonicalAddr } from "../vhost/mod.ts";
import { proxyDomains, validateDomains } from "../vhost/domains.ts";
import { type ProxyContext, type ServerProxy, serveUserConn } from "./base.ts";

/** Starts a tcpmux proxy. */
export function createTcpMuxProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
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
  const subDomainHost = server.config.subDomainHost ?? "";
  validateDomains(msg, subDomainHost);
  const group = msg.group ?? "";
  const routeByHTTPUser = msg.route_by_http_user ?? "";
  const auth = { username: msg.http_user ?? "", password: msg.http_pwd ?? "" };
  const closers: Array<() => void> = [];
  const addrs: string[] = [];
  const close = () => {
    for (const f of closers.splice(0).reverse()) f();
  };
  const handle = (conn: Conn) => {
    log.debug(`get a user connection [${conn.remoteAddr.hostname}:${conn.remoteAddr.port}]`);
    serveUserConn(ctx, conn);
  };
  try {
    for (const domain of proxyDomains(msg, subDomainHost)) {
      if (group) {
        const member = { name: ctx.name, handle };
        const params = JSON.stringify([domain, routeByHTTPUser, auth.username, auth.password]);
        server.groups.tcpmux.join(
          member,
          group,
          msg.group_key ?? "",
          domain,
          routeByHTTPUser,
          params,
          auth,
        );
        closers.push(() => server.groups.tcpmux.leave(group, member));
      } else {
        mux.router.add(domain, "", routeByHTTPUser, { ...auth, handle });
        closers.push(() => mux.router.del(domain, "", routeByHTTPUser));
      }
      addrs.push(canonicalAddr(domain, server.config.tcpmuxHTTPConnectPort));
      log.info(
        `tcpmux httpconnect multiplexer listens for host [${domain}], group [${group}] routeByHTTPUser [${routeByHTTPUser}]`,
      );
    }
  } catch (err) {
    close();
    return Promise.reject(err);
  }
  return Promise.resolve({ name: ctx.name, type: "tcpmux", remoteAddr: addrs.join(","), close });
}
