/**
 * Client-side per-proxy pieces frp applies to work connections: the bandwidth limiter
 * (mode `client`, one per proxy, wrapping the raw work conn; behaviour.md §8) and the PROXY
 * protocol header written to the local service (behaviour.md §7).
 *
 * @module
 */
import type { Duplex } from "../../protocol/duplex.ts";
import type { StartWorkConn } from "../../protocol/msg/messages.ts";
import type { ProxyConfig } from "../../config/types.ts";
import { LimitedDuplex, limiterFor, type RateLimiter } from "../../protocol/bandwidth.ts";
import { buildProxyProtocolHeader } from "../../protocol/proxy_protocol.ts";

const limiters = new WeakMap<ProxyConfig, RateLimiter | null>();

/** The proxy's client-mode limiter, or null (unset limit or mode `server`). */
export function clientLimiter(cfg: ProxyConfig): RateLimiter | null {
  let l = limiters.get(cfg);
  if (l === undefined) {
    l = limiterFor(cfg.transport.bandwidthLimit, cfg.transport.bandwidthLimitMode !== "server");
    limiters.set(cfg, l);
  }
  return l;
}

/** Wraps the raw work conn with the client-mode limiter when configured. */
export function limitWorkConn(cfg: ProxyConfig, conn: Duplex): Duplex {
  const l = clientLimiter(cfg);
  return l ? new LimitedDuplex(conn, l) : conn;
}

/**
 * The PROXY protocol header for a tcp-like work conn, or null when not configured or when
 * StartWorkConn carries no source. Throws when the addresses cannot be encoded.
 */
export function proxyProtocolHeader(cfg: ProxyConfig, start: StartWorkConn): Uint8Array | null {
  const v = cfg.transport.proxyProtocolVersion;
  if (!v || !start.src_addr || !start.src_port) return null;
  return buildProxyProtocolHeader(
    v,
    "tcp",
    { ip: start.src_addr, port: start.src_port },
    { ip: start.dst_addr || "127.0.0.1", port: start.dst_port ?? 0 },
  );
}
