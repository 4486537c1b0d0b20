/**
 * The part https and tcpmux proxies share (frp server/proxy/https.go, tcpmux.go): one route per
 * domain on a vhost muxer, or membership of a group per domain; the routes are removed again
 * when registration fails half-way or the proxy closes.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import { canonicalAddr } from "../vhost/mod.ts";
import type { VhostMuxer } from "../vhost/muxer.ts";
import { proxyDomains, validateDomains } from "../vhost/domains.ts";
import type { MuxGroups } from "../group/mod.ts";
import { type ProxyContext, type ServerProxy, serveUserConn, userConnLine } from "./base.ts";

/** What differs between https and tcpmux. */
export interface MuxRouteOptions {
  type: "https" | "tcpmux";
  mux: VhostMuxer;
  groups: MuxGroups;
  /** The muxer's port, for NewProxyResp.remote_addr. */
  port: number;
  routeByHTTPUser: string;
  auth: { username: string; password: string };
  /** A group member's parameter fingerprint (must equal the first member's). */
  groupParams: (domain: string) => string;
  /** frp's log line for one registered domain. */
  describe: (domain: string, group: string) => string;
}

/** Registers every domain of the proxy; rejects with frp's error text on the first failure. */
export function registerMuxRoutes(ctx: ProxyContext, o: MuxRouteOptions): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  const subDomainHost = server.config.subDomainHost ?? "";
  const group = msg.group ?? "";
  const closers: Array<() => void> = [];
  const addrs: string[] = [];
  const close = () => {
    for (const f of closers.splice(0).reverse()) f();
  };
  const handle = (conn: Conn) => {
    log.info(userConnLine(conn));
    serveUserConn(ctx, conn);
  };
  try {
    validateDomains(msg, subDomainHost);
    for (const domain of proxyDomains(msg, subDomainHost)) {
      if (group) {
        const member = { name: ctx.name, handle };
        o.groups.join(
          member,
          group,
          msg.group_key ?? "",
          domain,
          o.routeByHTTPUser,
          o.groupParams(domain),
          o.auth,
        );
        closers.push(() => o.groups.leave(group, member));
      } else {
        o.mux.router.add(domain, "", o.routeByHTTPUser, { ...o.auth, handle });
        closers.push(() => o.mux.router.del(domain, "", o.routeByHTTPUser));
      }
      addrs.push(canonicalAddr(domain, o.port));
      log.info(o.describe(domain, group));
    }
  } catch (err) {
    close();
    return Promise.reject(err);
  }
  return Promise.resolve({ name: ctx.name, type: o.type, remoteAddr: addrs.join(","), close });
}
