/**
 * frps hot reload (beyond Go frp, docs/beyond-frp.md): which config keys a running frps can
 * take over live. Everything else must be unchanged, or the whole reload is refused with the
 * keys named, and the old config keeps running.
 *
 * @module
 */
import type { ServerConfig } from "../config/types.ts";

/**
 * Keys (and whole subtrees) a reload applies. The rest is bound at start: listeners and their
 * TLS/QUIC/KCP settings (bindAddr, bindPort, kcpBindPort, quicBindPort, proxyBindAddr,
 * transport.tls, transport.quic), the dashboard listener (webServer.addr/port/tls/assetsDir,
 * enablePrometheus), the auth method and OIDC discovery, transport.tcpKeepalive (set on the bindPort
 * listener), the inspector (built at start), the log sink, the vhost HTTP
 * server's timeout and 404 page, tcpmux passthrough, the NAT-hole broker's data retention.
 */
export const LIVE_KEYS: readonly string[] = [
  "auth.token",
  "auth.additionalScopes",
  "auth.users",
  "auth.allowUnlistedUsers",
  "allowPorts",
  "maxPortsPerClient",
  "vhostHTTPPort",
  "vhostHTTPSPort",
  "tcpmuxHTTPConnectPort",
  "subDomainHost",
  "httpPlugins",
  "webServer.user",
  "webServer.password",
  "log.level",
  "detailedErrorsToClient",
  "userConnTimeout",
  "udpPacketSize",
  // read per new connection or session
  "transport.tcpMux",
  "transport.tcpMuxKeepaliveInterval",
  "transport.maxPoolCount",
  "transport.heartbeatTimeout",
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf values by dotted path (arrays are leaves). */
function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== undefined) out.set(prefix, JSON.stringify(v));
}

function isLive(key: string): boolean {
  return LIVE_KEYS.some((k) => key === k || key.startsWith(k + "."));
}

/** Secrets are never echoed in refusal messages. */
function shown(key: string, v: string | undefined): string {
  if (v === undefined) return "unset";
  return /password|token|secret|key/i.test(key.split(".").pop() ?? "") ? "***" : v;
}

/**
 * The refusal texts for keys that differ between `old` and `next` and cannot change live;
 * empty when the reload may go ahead.
 */
export function refusedChanges(old: ServerConfig, next: ServerConfig): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(old, "", a);
  flatten(next, "", b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k) && !isLive(k)).map((k) =>
    `[${k}] cannot be changed by a reload (${shown(k, a.get(k))} -> ${
      shown(k, b.get(k))
    }), restart frps to apply it`
  );
}
