/**
 * tcp proxies: a listener on proxyBindAddr:remotePort whose every user connection is
 * relayed over a fresh work connection.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { listenTcp, type TcpListener } from "../../transport/mod.ts";
import { type ProxyContext, type ServerProxy, serveUserConn, userConnLine } from "./base.ts";
import { createTcpGroupProxy } from "./tcp_group.ts";

/** Starts a tcp proxy; errors carry frp's texts (`port already used`, …). */
export async function createTcpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  if (msg.group) return await createTcpGroupProxy(ctx);
  const bindAddr = server.config.proxyBindAddr;
  const { port, value: listener } = await server.tcpPorts.acquire(
    ctx.name,
    msg.remote_port ?? 0,
    (p): TcpListener => listenTcp({ hostname: bindAddr, port: p }),
    ctx.control.userState?.config.allowPorts,
  );
  log.info(`tcp proxy listen port [${port}]`);
  let closed = false;
  (async () => {
    for (;;) {
      const user = await listener.accept().catch((err) => {
        if (!closed) log.warn(`listener is closed: ${errorText(err)}`);
        return null;
      });
      if (!user) break;
      log.info(userConnLine(user));
      serveUserConn(ctx, user);
    }
  })();
  return {
    name: ctx.name,
    type: "tcp",
    remoteAddr: `:${port}`,
    close() {
      if (closed) return;
      closed = true;
      server.tcpPorts.release(port, listener.close());
    },
  };
}
