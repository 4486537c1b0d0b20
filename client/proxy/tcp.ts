/**
 * Work connections of tcp-like proxies (tcp, http, https, tcpmux, stcp): dial the local
 * service and relay bytes, with the proxy's encryption/compression on the work side.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { relay, writeAll } from "../../protocol/io.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import { dialTcp } from "../../transport/mod.ts";
import type { WorkConnContext } from "./base.ts";
import { limitWorkConn, proxyProtocolHeader } from "./limit.ts";

/** Relays one work connection to `localIP:localPort`. */
export async function handleTcpWorkConn(ctx: WorkConnContext): Promise<void> {
  const { proxy, common, log } = ctx;
  const work = wrapProxyConn(limitWorkConn(proxy, ctx.conn), {
    key: common.auth.token,
    useEncryption: proxy.transport.useEncryption,
    useCompression: proxy.transport.useCompression,
  });
  let local;
  try {
    local = await dialTcp({ hostname: proxy.localIP, port: proxy.localPort ?? 0 });
  } catch (err) {
    log.error(
      `connect to local service [${proxy.localIP}:${proxy.localPort}] error: ${errorText(err)}`,
    );
    work.close();
    return;
  }
  try {
    const pp = proxyProtocolHeader(proxy, ctx.start);
    if (pp) await writeAll(local, pp);
  } catch (err) {
    log.warn(`write proxy protocol header error: ${errorText(err)}`);
    local.close();
    work.close();
    return;
  }
  log.debug(
    `join connections, localConn(l[${local.localAddr.hostname}:${local.localAddr.port}]) workConn`,
  );
  await relay(work, local).catch(() => {});
}
