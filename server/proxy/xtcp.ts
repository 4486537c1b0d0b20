/**
 * xtcp proxies on frps (frp's server/proxy/xtcp.go): no listener and no traffic through frps;
 * the proxy registers with the NAT-hole broker and, for every visitor session, sends the sid
 * to its frpc on a fresh work conn (StartWorkConn, then NatHoleSid, then close). The frpc
 * answers with NatHoleClient on its control channel (server/nathole/controller.ts).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { type ProxyContext, type ServerProxy, startWorkConn } from "./base.ts";

/** Starts an xtcp proxy; throws Go's error when the name is already registered. */
export function createXtcpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  return Promise.resolve().then(() => startXtcpProxy(ctx));
}

function startXtcpProxy(ctx: ProxyContext): ServerProxy {
  const { server, msg, log, control, name } = ctx;
  // An empty allow_users means "only the owner's own user", as for stcp.
  const allowUsers = msg.allow_users?.length ? msg.allow_users : [control.login.user ?? ""];
  const sids = server.natHole.listenClient(name, msg.sk ?? "", allowUsers);
  (async () => {
    for (;;) {
      const sid = await sids.receive();
      if (sid === null) break;
      let work;
      try {
        work = await startWorkConn(ctx, {});
      } catch (err) {
        log.warn(`failed to get work connection: ${errorText(err)}`);
        continue;
      }
      try {
        await work.codec.writeMessage(work.conn, { type: "NatHoleSid", body: { sid } });
      } catch (err) {
        log.warn(`write nat hole sid package error, ${errorText(err)}`);
      }
      work.conn.close();
    }
  })();
  return {
    name,
    type: "xtcp",
    remoteAddr: "",
    close: () => server.natHole.closeClient(name, sids),
  };
}
