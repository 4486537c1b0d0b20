/**
 * Work connections of tcp-like proxies (tcp, http, https, tcpmux, stcp): dial the local
 * service and relay bytes, with the proxy's encryption/compression on the work side.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { relay, writeAll } from "../../protocol/io.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import { toWebStreams } from "../../protocol/web_streams.ts";
import { dialTcp } from "../../transport/mod.ts";
import type { WorkConnContext } from "./base.ts";
import { type Duplex, endText } from "../../protocol/duplex.ts";
import { limitWorkConn, proxyProtocolHeader } from "./limit.ts";

/** Relays one work connection to `localIP:localPort`. */
export async function handleTcpWorkConn(ctx: WorkConnContext): Promise<void> {
  const { proxy, common, log } = ctx;
  log.trace(
    `handle tcp work connection, useEncryption: ${proxy.transport.useEncryption}, ` +
      `useCompression: ${proxy.transport.useCompression}`,
  );
  const work = wrapProxyConn(limitWorkConn(proxy, ctx.conn), {
    key: ctx.key ?? common.auth.token,
    useEncryption: proxy.transport.useEncryption,
    useCompression: proxy.transport.useCompression,
  });
  if (ctx.localHandler) {
    const src = ctx.start.src_addr && ctx.start.src_port
      ? { hostname: ctx.start.src_addr, port: ctx.start.src_port }
      : undefined;
    log.debug("handle by local handler");
    await ctx.localHandler(toWebStreams(work), { proxyName: proxy.name, srcAddr: src });
    return;
  }
  if (proxy.plugin) return await handleByPlugin(ctx, work);
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
    `join connections, localConn(l[${endText(local, "localAddr")}] r[${
      endText(local, "remoteAddr")
    }]) workConn(l[${endText(ctx.conn, "localAddr")}] r[${endText(ctx.conn, "remoteAddr")}])`,
  );
  await relay(work, local).catch(() => {});
  log.debug("join connections closed");
}

/** A plugin replaces the local dial (Go HandleTCPWorkConnection → proxyPlugin.Handle). */
async function handleByPlugin(ctx: WorkConnContext, work: Duplex): Promise<void> {
  const { proxy, log, start } = ctx;
  const opts = proxy.plugin!;
  let plugin;
  try {
    // Lazy: the client plugins (http/socks5/static_file/…) cost idle RSS; load them on first use.
    const { pluginFor } = await import("../../plugins/client/mod.ts");
    plugin = await pluginFor(proxy, opts);
  } catch (err) {
    log.error(`create plugin [${opts.type}] error: ${errorText(err)}`);
    work.close();
    return;
  }
  let header: Uint8Array | null = null;
  try {
    header = proxyProtocolHeader(proxy, start);
  } catch (err) {
    log.warn(`build proxy protocol header error: ${errorText(err)}`);
  }
  const hasSrc = !!start.src_addr && !!start.src_port;
  log.debug(`handle by plugin: ${plugin.name}`);
  await plugin.handle({
    conn: work,
    srcAddr: hasSrc ? { hostname: start.src_addr!, port: start.src_port! } : undefined,
    dstAddr: hasSrc
      ? { hostname: start.dst_addr || "127.0.0.1", port: start.dst_port ?? 0 }
      : undefined,
    proxyProtocolHeader: header,
    log,
  }).catch((err) => log.warn(`plugin [${plugin.name}] error: ${errorText(err)}`));
  log.debug("handle by plugin finished");
}
