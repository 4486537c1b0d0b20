/**
 * Settings this implementation accepts (they load and pass `verify`, as in Go frp) but cannot
 * honour, or honours only in part. A setting is never silently ignored: frps/frpc log each text
 * at warn level at start, and `verify` prints it as `WARNING: <text>`.
 *
 * @module
 */

import type { ClientCommonConfig, ProxyConfig, ServerConfig, VisitorConfig } from "./types.ts";

/** Linux's default `net.ipv4.tcp_keepalive_time` (and frp's default keep-alive period). */
const OS_KEEPALIVE_SEC = 7200;

const ignored = (key: string, why: string) =>
  `${key} is not supported by this implementation (${why}); ignored`;

const PPROF = ignored("webServer.pprofEnable", "Go's pprof has no Deno equivalent");

/** Deno can switch SO_KEEPALIVE on but cannot set TCP_KEEPIDLE: say so when it matters. */
function keepaliveInterval(key: string, sec: number): string[] {
  if (sec <= 0 || sec === OS_KEEPALIVE_SEC) return [];
  return [
    `${key} = ${sec}: TCP keep-alive is enabled but Deno cannot set its interval; the OS default (usually ${OS_KEEPALIVE_SEC} s) is used`,
  ];
}

type ClientInput = ClientCommonConfig & { proxies?: ProxyConfig[]; visitors?: VisitorConfig[] };

/**
 * One warning text per setting of `cfg` that is accepted but not (fully) honoured. `kind`
 * picks frps or frpc rules; the client form takes the completed proxies and visitors too.
 */
export function unsupportedSettings(kind: "server", cfg: ServerConfig): string[];
export function unsupportedSettings(kind: "client", cfg: ClientInput): string[];
export function unsupportedSettings(
  kind: "server" | "client",
  cfg: ServerConfig | ClientInput,
): string[] {
  return kind === "server"
    ? serverWarnings(cfg as ServerConfig)
    : clientWarnings(cfg as ClientInput);
}

function serverWarnings(c: ServerConfig): string[] {
  const out: string[] = [];
  if (c.webServer.pprofEnable) out.push(PPROF);
  out.push(...keepaliveInterval("transport.tcpKeepalive", c.transport.tcpKeepalive));
  return out;
}

function clientWarnings(c: ClientInput): string[] {
  const out: string[] = [];
  if (c.webServer.pprofEnable) out.push(PPROF);
  if (/^ntlm:/i.test(c.transport.proxyURL ?? "")) {
    out.push(
      "transport.proxyURL of type ntlm is not supported by this implementation (no NTLM proxy authentication); connecting to frps will fail",
    );
  }
  if (c.virtualNet.address) {
    out.push(ignored("virtualNet.address", "no TUN device support in Deno"));
  }
  // node:net carries the keep-alive period when a local IP is bound (transport/tcp.ts).
  if (!c.transport.connectServerLocalIP) {
    out.push(
      ...keepaliveInterval("transport.dialServerKeepalive", c.transport.dialServerKeepalive),
    );
  }
  for (const p of c.proxies ?? []) {
    if (p.plugin?.type === "virtual_net") {
      out.push(ignored(`proxy ${p.name}: plugin virtual_net`, "no TUN device support in Deno"));
    }
  }
  for (const v of c.visitors ?? []) {
    if (v.plugin) {
      out.push(
        ignored(
          `visitor ${v.name}: plugin ${v.plugin.type}`,
          "visitor plugins are not implemented",
        ),
      );
    }
  }
  return out;
}
