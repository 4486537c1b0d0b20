/**
 * Work-connection handlers by proxy type.
 *
 * @module
 */
import type { ProxyType } from "../../config/types.ts";
import type { WorkConnHandler } from "./base.ts";
import { handleTcpWorkConn } from "./tcp.ts";
import { handleUdpWorkConn } from "./udp.ts";
import { handleXtcpWorkConn } from "./xtcp.ts";

/** Handlers by proxy type; types missing here close their work connections. */
export const WORK_CONN_HANDLERS: Partial<Record<ProxyType, WorkConnHandler>> = {
  tcp: handleTcpWorkConn,
  udp: handleUdpWorkConn,
  http: handleTcpWorkConn,
  https: handleTcpWorkConn,
  tcpmux: handleTcpWorkConn,
  stcp: handleTcpWorkConn,
  // sudp work conns carry the same UDPPacket/Ping frames as udp ones, one per visitor conn
  sudp: handleUdpWorkConn,
  // xtcp work conns carry one NatHoleSid: the data then flows over a punched QUIC/KCP tunnel
  xtcp: handleXtcpWorkConn,
};
