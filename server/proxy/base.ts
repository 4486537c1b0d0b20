/**
 * The shared half of every server-side proxy: getting a work connection from the owning
 * client (with StartWorkConn and frp's retry rule) and wrapping it with the proxy's
 * encryption and compression (behaviour.md §4.4, §4.5).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { type Conn, type Duplex, endText, netAddrText } from "../../protocol/duplex.ts";
import type { NewProxy, StartWorkConn } from "../../protocol/msg/messages.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import { relay, type RelayOptions } from "../../protocol/io.ts";
import { bridgeSudp } from "./sudp_bridge.ts";
import { LimitedDuplex, limiterFor, type RateLimiter } from "../../protocol/bandwidth.ts";
import type { Logger } from "../../log/logger.ts";
import type { ServerContext } from "../context.ts";
import type { Control } from "../control.ts";
import type { WorkConn } from "../work_conn_pool.ts";
import { releasingOnClose, UserConnRejected } from "../users.ts";

/** A running proxy on frps. */
export interface ServerProxy {
  readonly name: string;
  readonly type: string;
  /** NewProxyResp.remote_addr */
  readonly remoteAddr: string;
  close(): void;
}

/** Everything a proxy factory needs. */
export interface ProxyContext {
  server: ServerContext;
  control: Control;
  /** NewProxy.proxy_name, the wire name (with any `user.` prefix). */
  name: string;
  msg: NewProxy;
  log: Logger;
}

/** Creates and starts one proxy type; throws an Error whose message goes to the client. */
export type ProxyFactory = (ctx: ProxyContext) => Promise<ServerProxy>;

/** frps's line for each accepted user connection (Go logs it at info). */
export function userConnLine(user: Conn): string {
  return `get a user connection [${netAddrText(user.remoteAddr)}]`;
}

/** Address fields of StartWorkConn describing the user connection. */
export type WorkConnAddrs = Pick<StartWorkConn, "src_addr" | "src_port" | "dst_addr" | "dst_port">;

/**
 * Takes a work conn from the proxy's client, announces the proxy on it and returns it
 * wrapped per `use_encryption`/`use_compression`.
 */
export async function openWorkConn(ctx: ProxyContext, addrs: WorkConnAddrs): Promise<Duplex> {
  return (await openWorkConnWithCodec(ctx, addrs)).conn;
}

/**
 * {@link openWorkConn}, also returning the codec of the frp messages that follow on it
 * (udp/sudp: the work conn's wire protocol).
 */
export async function openWorkConnWithCodec(
  ctx: ProxyContext,
  addrs: WorkConnAddrs,
): Promise<{ conn: Duplex; codec: MessageCodec; raw: Duplex }> {
  const { msg } = ctx;
  // `[[auth.users]]` limits of the proxy's owner, checked before a work conn is taken; udp's
  // single work conn (no source address) only gets the bandwidth cap.
  const user = ctx.control.userState;
  const release = user && addrs.src_addr !== undefined ? user.admitConn(addrs.src_addr) : undefined;
  let conn: Duplex;
  let codec: MessageCodec;
  try {
    ({ conn, codec } = await startWorkConn(ctx, addrs));
  } catch (err) {
    release?.();
    throw err;
  }
  let wrapped = wrapProxyConn(conn, {
    key: ctx.control.token,
    useEncryption: !!msg.use_encryption,
    useCompression: !!msg.use_compression,
  });
  const limiter = serverLimiter(ctx);
  if (limiter) wrapped = new LimitedDuplex(wrapped, limiter);
  if (user?.bandwidth) wrapped = new LimitedDuplex(wrapped, user.bandwidth);
  return { conn: release ? releasingOnClose(wrapped, release) : wrapped, codec, raw: conn };
}

/**
 * Takes a work conn and sends StartWorkConn on it, retrying with the next conn as frp does
 * (Go's GetWorkConnFromPool); the conn is returned unwrapped (xtcp writes NatHoleSid on it).
 */
export async function startWorkConn(ctx: ProxyContext, addrs: WorkConnAddrs): Promise<WorkConn> {
  const { control } = ctx;
  const attempts = control.poolCount + 1;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const { conn, codec } = await control.getWorkConn();
    try {
      await codec.writeMessage(conn, {
        type: "StartWorkConn",
        body: { proxy_name: ctx.name, ...addrs },
      });
    } catch (err) {
      lastErr = err;
      conn.close();
      ctx.log.warn(`failed to send message to work connection from pool: ${err}, times: ${i}`);
      continue;
    }
    ctx.log.debug(`get a new work connection: [${endText(conn, "remoteAddr")}]`);
    return { conn, codec };
  }
  throw lastErr instanceof Error ? lastErr : new Error("failed to get work connection");
}

const limiters = new WeakMap<ProxyContext, RateLimiter | null>();

/**
 * The proxy's limiter when `bandwidth_limit_mode` is `server` (one per proxy, shared by all its
 * connections and both directions; behaviour.md §8), else null.
 */
function serverLimiter(ctx: ProxyContext): RateLimiter | null {
  let l = limiters.get(ctx);
  if (l === undefined) {
    l = limiterFor(ctx.msg.bandwidth_limit, ctx.msg.bandwidth_limit_mode === "server");
    limiters.set(ctx, l);
  }
  return l;
}

/**
 * Serves one user connection of a tcp-like proxy: work conn, then a byte relay. `userCodec`
 * (sudp visitor conns) is the visitor's wire protocol: when the proxy's frpc speaks the other
 * one, messages are re-encoded instead of relayed (sudp_bridge.ts).
 */
export async function serveUserConn(
  ctx: ProxyContext,
  user: Conn,
  userCodec?: MessageCodec,
): Promise<void> {
  const plugins = ctx.server.plugins;
  if (plugins?.has("NewUserConn")) {
    const remote = netAddrText(user.remoteAddr);
    try {
      await plugins.newUserConn(ctx.control.pluginUser, ctx.name, ctx.msg.proxy_type ?? "", remote);
    } catch (err) {
      ctx.log.warn(`the user conn [${remote}] was rejected, err:${errorText(err)}`);
      user.close();
      return;
    }
  }
  let work: Duplex;
  let workCodec: MessageCodec;
  let raw: Duplex;
  try {
    ({ conn: work, codec: workCodec, raw } = await openWorkConnWithCodec(ctx, {
      src_addr: user.remoteAddr.hostname,
      src_port: user.remoteAddr.port,
      dst_addr: user.localAddr.hostname,
      dst_port: user.localAddr.port,
    }));
  } catch (err) {
    if (err instanceof UserConnRejected) {
      const { hostname, port } = user.remoteAddr;
      ctx.log.warn(`user connection [${hostname}:${port}] rejected: ${err.message}`);
    } else ctx.log.warn(`failed to get work connection: ${errorText(err)}`);
    user.close();
    return;
  }
  ctx.log.trace(
    `handler user tcp connection, use_encryption: ${!!ctx.msg.use_encryption}, ` +
      `use_compression: ${!!ctx.msg.use_compression}`,
  );
  ctx.log.debug(
    `join connections, workConn(l[${endText(raw, "localAddr")}] r[${
      endText(raw, "remoteAddr")
    }]) userConn(l[${netAddrText(user.localAddr)}] r[${netAddrText(user.remoteAddr)}])`,
  );
  const join = (opts: RelayOptions): Promise<unknown> => {
    if (!userCodec || userCodec.wireProtocol === workCodec.wireProtocol) {
      return relay(user, work, opts);
    }
    ctx.log.info(
      `bridge mixed SUDP payload codecs, proxy wireProtocol [${workCodec.wireProtocol}], visitor wireProtocol [${userCodec.wireProtocol}]`,
    );
    return bridgeSudp(user, userCodec, work, workCodec, opts);
  };
  const stats = ctx.server.stats;
  if (!stats) {
    await join({}).catch(() => {});
    ctx.log.debug("join connections closed");
    return;
  }
  // Dashboard statistics (behaviour.md §11.5): in = user → frpc, out = frpc → user.
  const { name } = ctx;
  const type = ctx.msg.proxy_type ?? "tcp";
  stats.openConnection(name, type);
  await join({
    onBytes: (dir, n) =>
      dir === "ab" ? stats.addTrafficIn(name, type, n) : stats.addTrafficOut(name, type, n),
  }).catch(() => {});
  ctx.log.debug("join connections closed");
  stats.closeConnection(name, type);
  stats.addTrafficIn(name, type, 0); // frp creates the Prometheus series once a conn ends
  stats.addTrafficOut(name, type, 0);
}

/**
 * A work conn for the http vhost, counted as frp's WrapStatsConn does: one connection while
 * open (kept-alive conns included); its bytes (reads = out, writes = in) are added to the
 * traffic statistics when it closes.
 */
export async function openCountedWorkConn(
  ctx: ProxyContext,
  addrs: WorkConnAddrs,
): Promise<Duplex> {
  const conn = await openWorkConn(ctx, addrs);
  const stats = ctx.server.stats;
  if (!stats) return conn;
  const { name } = ctx;
  const type = ctx.msg.proxy_type ?? "http";
  stats.openConnection(name, type);
  let read = 0;
  let written = 0;
  let closed = false;
  return {
    read: (p) =>
      conn.read(p).then((n) => {
        if (n) read += n;
        return n;
      }),
    write: (p) =>
      conn.write(p).then((n) => {
        written += n;
        return n;
      }),
    closeWrite: () => conn.closeWrite(),
    close() {
      conn.close();
      if (closed) return;
      closed = true;
      stats.closeConnection(name, type);
      stats.addTrafficIn(name, type, written);
      stats.addTrafficOut(name, type, read);
    },
  };
}
