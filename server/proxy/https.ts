/**
 * https proxies (frp server/proxy/https.go, behaviour.md §2): one SNI route per domain on the
 * vhostHTTPSPort muxer (no TLS termination), or membership of an https group.
 *
 * @module
 */
import type { Conn } from "../../protocol/duplex.ts";
import { canonicalAddr } from "../vhost/mod.ts";
import { proxyDomains, validateDomains } from "../vhost/domains.ts";
import { type ProxyContext, type ServerProxy, serveUserConn } from "./base.ts";

/** Starts an https proxy. */
export function createHttpsProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  const mux = server.vhost.https;
  if (!mux) {
    return Promise.reject(new Error("type [https] not supported when vhost https port is not set"));
  }
  const subDomainHost = server.config.subDomainHost ?? "";
  validateDomains(msg, subDomainHost);
  const group = msg.group ?? "";
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
        server.groups.https.join(member, group, msg.group_key ?? "", domain, "", domain, {
          username: "",
          password: "",
        });
        closers.push(() => server.groups.https.leave(group, member));
      } else {
        mux.router.add(domain, "", "", { username: "", password: "", handle });
        closers.push(() => mux.router.del(domain, "", ""));
      }
      addrs.push(canonicalAddr(domain, server.config.vhostHTTPSPort));
      log.info(`https proxy listen for host [${domain}] group [${group}]`);
    }
  } catch (err) {
    close();
    return Promise.reject(err);
  }
  return Promise.resolve({ name: ctx.name, type: "https", remoteAddr: addrs.join(","), close });
}
