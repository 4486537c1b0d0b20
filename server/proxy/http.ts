/**
 * http proxies (frp server/proxy/http.go, behaviour.md §1.2): one vhost route per
 * (domain × location), or membership of an http load-balancing group.
 *
 * @module
 */
import type { NetAddr } from "../../protocol/duplex.ts";
import { canonicalAddr, type HttpRoute } from "../vhost/mod.ts";
import { proxyDomains, validateDomains } from "../vhost/domains.ts";
import { openCountedWorkConn, type ProxyContext, type ServerProxy } from "./base.ts";

/** Starts an http proxy. */
export function createHttpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  const vhost = server.vhost.http;
  if (!vhost) {
    return Promise.reject(new Error("type [http] not supported when vhost http port is not set"));
  }
  const subDomainHost = server.config.subDomainHost ?? "";
  validateDomains(msg, subDomainHost);
  const locations = msg.locations && msg.locations.length > 0 ? msg.locations : [""];
  const group = msg.group ?? "";
  const closers: Array<() => void> = [];
  const addrs: string[] = [];
  const close = () => {
    for (const f of closers.splice(0).reverse()) f();
  };
  const open = (remote: NetAddr) =>
    openCountedWorkConn(ctx, { src_addr: remote.hostname, src_port: remote.port });
  const ownRoutes: HttpRoute[] = [];
  // Request inspector (beyond frp): undefined unless `[inspector] enable`; then only the new
  // work conns of a captured proxy are wrapped.
  const tap = server.inspector.attach(ctx.name, {
    open,
    dropIdle: () => {
      for (const r of ownRoutes) vhost.dropRoute(r);
      const shared = group ? server.groups.http.routeOf(group) : undefined;
      if (shared) vhost.dropRoute(shared);
    },
  });
  if (tap) closers.push(() => tap.detach());
  const createConn: HttpRoute["createConn"] = tap
    ? (_ep, remote) => tap.wrap(open(remote))
    : (_ep, remote) => open(remote);
  try {
    for (const domain of proxyDomains(msg, subDomainHost)) {
      for (const location of locations) {
        const route: HttpRoute = {
          domain,
          location,
          routeByHTTPUser: msg.route_by_http_user ?? "",
          username: msg.http_user ?? "",
          password: msg.http_pwd ?? "",
          rewriteHost: msg.host_header_rewrite ?? "",
          headers: msg.headers ?? {},
          responseHeaders: msg.response_headers ?? {},
          createConn,
        };
        if (group) {
          server.groups.http.register(ctx.name, group, msg.group_key ?? "", route);
          closers.push(() => server.groups.http.unregister(ctx.name, group));
        } else {
          vhost.router.add(domain, location, route.routeByHTTPUser, route);
          ownRoutes.push(route);
          closers.push(() => {
            vhost.router.del(domain, location, route.routeByHTTPUser);
            vhost.dropRoute(route);
          });
        }
        addrs.push(canonicalAddr(domain, server.config.vhostHTTPPort));
        log.info(
          `http proxy listen for host [${domain}] location [${location}] group [${group}], routeByHTTPUser [${route.routeByHTTPUser}]`,
        );
      }
    }
  } catch (err) {
    close();
    return Promise.reject(err);
  }
  return Promise.resolve({
    name: ctx.name,
    type: "http",
    remoteAddr: addrs.join(","),
    close,
  });
}
