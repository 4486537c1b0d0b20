/**
 * KCP as Go frp speaks it (kcp-go v5.6.13 with FEC 10+3 over klauspost/reedsolomon v1.12.0,
 * no packet encryption): the ARQ engine, the FEC framing with Reed-Solomon recovery, and a
 * socket-free session. Runtime-agnostic; transport/kcp.ts puts it on UDP sockets.
 *
 * @module
 */
export { type Clock, IKCP_OVERHEAD, Kcp, type Output } from "./arq.ts";
export {
  FEC_HEADER_SIZE_PLUS2,
  FEC_TYPE_DATA,
  FEC_TYPE_PARITY,
  FecDecoder,
  FecEncoder,
  MTU_LIMIT,
} from "./fec.ts";
export { gfMul, ReedSolomon } from "./reedsolomon.ts";
export {
  CLIENT_WINDOW,
  datagramConv,
  FRP_DATA_SHARDS,
  FRP_MTU,
  FRP_PARITY_SHARDS,
  KcpSession,
  type KcpSessionOptions,
  looksLikeKcp,
  SERVER_WINDOW,
} from "./session.ts";
