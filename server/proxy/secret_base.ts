/**
 * The common body of stcp and sudp proxies on frps (frp's server/proxy/{stcp,sudp}.go): no
 * public port, only a visitor listener under the proxy's wire name. Every admitted visitor conn
 * is served like a tcp user conn — a fresh work conn (token + the proxy's flags) joined
 * byte-for-byte; for sudp those bytes happen to be UDPPacket frames end to end.
 *
 * @module
 */
import { type ProxyContext, type ServerProxy, serveUserConn, userConnLine } from "./base.ts";
import { AddressedConn } from "../visitor/conn.ts";

/** Starts an stcp or sudp proxy; throws frp's error when the name is already registered. */
export function startSecretProxy(ctx: ProxyContext, type: "stcp" | "sudp"): ServerProxy {
  const { server, msg, log, control } = ctx;
  // An empty allow_users means "only the owner's own user" (wire-v1.md §11.4).
  const allowUsers = msg.allow_users?.length ? msg.allow_users : [control.login.user ?? ""];
  const listener = server.visitors.listen(ctx.name, msg.sk ?? "", allowUsers);
  log.info(`${type} proxy custom listen success`);
  (async () => {
    for (;;) {
      const conn = await listener.accept();
      if (!conn) break;
      log.info(userConnLine(conn));
      serveUserConn(
        ctx,
        conn,
        type === "sudp" && conn instanceof AddressedConn ? conn.codec : undefined,
      );
    }
  })();
  return {
    name: ctx.name,
    type,
    remoteAddr: "",
    close: () => listener.close(),
  };
}
