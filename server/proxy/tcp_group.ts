/**
 * tcp proxies with `loadBalancer.group` (frp server/group/tcp.go, behaviour.md §5): members
 * share one listener on the first member's port; connections go round robin to members.
 *
 * @module
 */
import { listenTcp, type TcpListener } from "../../transport/tcp.ts";
import { type ProxyContext, type ServerProxy, serveUserConn, userConnLine } from "./base.ts";

/** Joins (or creates) the tcp group named in `ctx.msg.group`. */
export async function createTcpGroupProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  const group = msg.group ?? "";
  const bindAddr = server.config.proxyBindAddr;
  const member = {
    name: ctx.name,
    serve: (conn: Parameters<typeof serveUserConn>[1]) => {
      log.info(userConnLine(conn));
      serveUserConn(ctx, conn);
    },
  };
  const port = await server.groups.tcp.join(
    member,
    group,
    msg.group_key ?? "",
    bindAddr,
    msg.remote_port ?? 0,
    async () => {
      const { port, value } = await server.tcpPorts.acquire(
        ctx.name,
        msg.remote_port ?? 0,
        (p): TcpListener => listenTcp({ hostname: bindAddr, port: p }),
      );
      return { port, listener: value, release: (freed) => server.tcpPorts.release(port, freed) };
    },
  );
  log.info(`tcp proxy listen port [${port}] in group [${group}]`);
  let closed = false;
  return {
    name: ctx.name,
    type: "tcp",
    remoteAddr: `:${port}`,
    close() {
      if (closed) return;
      closed = true;
      server.groups.tcp.leave(group, member);
    },
  };
}
