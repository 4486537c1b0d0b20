/**
 * The proxy types frps serves, one factory each. A type missing here is answered with an
 * error in NewProxyResp.
 *
 * @module
 */
import type { ProxyFactory } from "./base.ts";
import { createTcpProxy } from "./tcp.ts";
import { createUdpProxy } from "./udp.ts";
import { createHttpProxy } from "./http.ts";
import { createHttpsProxy } from "./https.ts";
import { createTcpMuxProxy } from "./tcpmux.ts";
import { createStcpProxy } from "./stcp.ts";
import { createSudpProxy } from "./sudp.ts";
import { createXtcpProxy } from "./xtcp.ts";

/** Proxy factories by NewProxy.proxy_type. */
export const PROXY_FACTORIES: Partial<Record<string, ProxyFactory>> = {
  tcp: createTcpProxy,
  udp: createUdpProxy,
  http: createHttpProxy,
  https: createHttpsProxy,
  tcpmux: createTcpMuxProxy,
  stcp: createStcpProxy,
  sudp: createSudpProxy,
  xtcp: createXtcpProxy,
};
