/**
 * Transport layer: every socket of frps/frpc is opened here.
 *
 * @module
 */

export { dialTcp, listenTcp, TcpConn, TcpListener, tryBindTcp } from "./tcp.ts";
export type { DialTcpOptions } from "./tcp.ts";
export {
  dialQuic,
  FRP_QUIC_ALPN,
  QuicClientSession,
  type QuicOptions,
  QuicServer,
} from "./quic.ts";
export {
  loadClientTlsFiles,
  NativeTlsConn,
  setNativeInsecureTls,
  startClientTls,
  TlsConfigError,
  TlsEngineFallbackError,
} from "./tls_client.ts";
export type { ClientTlsOptions } from "./tls_client.ts";
export {
  acceptServerTls,
  createTlsServerContext,
  FRP_TLS_HEAD_BYTE,
  serverHandshake,
  TLS_HANDSHAKE_BYTE,
  TlsRequiredError,
  TlsServerContext,
} from "./tls_server.ts";
export type { AcceptServerTlsOptions, TlsServerOptions } from "./tls_server.ts";
export { classifyBindPortBytes, SNIFF_BYTES, sniffBindPortConn } from "./sniff.ts";
export type { BindPortKind, SniffOptions } from "./sniff.ts";
export {
  dialKcp,
  type DialKcpOptions,
  KCP_YAMUX_FRAME,
  KcpConn,
  KcpListener,
  kcpOverUdpSocket,
  listenKcp,
} from "./kcp.ts";
export { bindUdp, dialUdp, tryBindUdp, UDP_QUEUE_LIMIT, UdpSocket } from "./udp.ts";
export type { Datagram } from "./udp.ts";
export { PrefixedConn, withPrefix } from "./_prefixed.ts";
export { NodeStreamConn } from "./_node_stream.ts";
export { readAtLeast, TimeoutError, writeAll } from "./_util.ts";
export { generateSelfSignedCert } from "./_selfsigned.ts";
export type { CertKeyPem } from "./_selfsigned.ts";
export { dialViaProxy, parseProxyURL } from "./proxy_dial.ts";
export { resolveHost, setDnsServer } from "./dns.ts";
export type { ProxyDialOptions, ProxyURL } from "./proxy_dial.ts";
