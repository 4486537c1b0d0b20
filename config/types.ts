/**
 * The frp v1 configuration model (Go frp v0.62–v0.70), with frp's camelCase field names.
 *
 * "Completed" types (ServerConfig, ClientConfig, every proxy/visitor) have every field that
 * frp defaults filled in (non-optional); fields without a default stay optional.
 * `*Input` types are the deep-partial shapes accepted from files or embedders.
 *
 * @module
 */

import type { InspectorConfig } from "./inspector.ts";

// ---------------------------------------------------------------- common pieces

export type AuthMethod = "token" | "oidc";
export type AuthScope = "HeartBeats" | "NewWorkConns";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** `auth.tokenSource` (frp ValueSource). */
export interface ValueSource {
  type: "file" | "exec";
  file?: { path: string };
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
}

export interface TLSConfig {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  serverName?: string;
}

export interface QUICOptions {
  keepalivePeriod: number;
  maxIdleTimeout: number;
  maxIncomingStreams: number;
}

export interface WebServerConfig {
  /** default "127.0.0.1" */
  addr: string;
  /** 0 = disabled */
  port: number;
  user?: string;
  password?: string;
  assetsDir?: string;
  pprofEnable: boolean;
  /** TLS enabled when present (both files required) */
  tls?: TLSConfig;
}

export interface LogConfig {
  /** "console" or a file path */
  to: string;
  level: string;
  maxDays: number;
  disablePrintColor: boolean;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HeaderOperations {
  set?: Record<string, string>;
}

export interface NatTraversalConfig {
  disableAssistedAddrs: boolean;
}

/** `{single}` or `{start, end}` (inclusive). */
export interface PortsRange {
  start?: number;
  end?: number;
  single?: number;
}

export interface HTTPPluginOptions {
  name: string;
  addr: string;
  path: string;
  ops: string[];
  tlsVerify: boolean;
}

// ---------------------------------------------------------------- server

export interface ServerAuthConfig {
  method: AuthMethod;
  additionalScopes: AuthScope[];
  token: string;
  tokenSource?: ValueSource;
  oidc: {
    issuer?: string;
    audience?: string;
    skipExpiryCheck: boolean;
    skipIssuerCheck: boolean;
  };
  /** Per-user tokens and limits (beyond Go frp, docs/beyond-frp.md). */
  users: ServerUserConfig[];
  /** With `users` set: may a login whose `user` is not listed use `auth.token`? default false */
  allowUnlistedUsers: boolean;
}

/** One `[[auth.users]]` entry; empty lists and 0 mean "no limit" (beyond Go frp). */
export interface ServerUserConfig {
  /** Matched against the Login's `user` (frpc's `user`). */
  user: string;
  /** The user's token (method token): the privilege key and encryption use it. */
  token?: string;
  /** Method oidc: the subject the user's OIDC token must carry. */
  oidcSubject?: string;
  proxyTypes: string[];
  allowPorts: PortsRange[];
  /** `subdomain` values the user may claim (`*` wildcards). */
  subdomains: string[];
  /** `customDomains` the user may claim (`*` wildcards, e.g. `*.alice.example.com`). */
  customDomains: string[];
  maxProxies: number;
  /** Concurrent user connections across the user's proxies. */
  maxConnections: number;
  /** Aggregate over every proxy of the user, both directions ("1MB", "512KB"). */
  bandwidthLimit?: string;
  /** CIDRs (or addresses) frpc may log in from. */
  loginAllowIPs: string[];
  /** CIDRs (or addresses) user connections to the user's proxies may come from. */
  userConnAllowIPs: string[];
  /** New user connections per second across the user's proxies. */
  connRateLimit: number;
}

export interface ServerTransportConfig {
  tcpMux: boolean;
  tcpMuxKeepaliveInterval: number;
  tcpKeepalive: number;
  maxPoolCount: number;
  heartbeatTimeout: number;
  quic: QUICOptions;
  tls: { force: boolean } & TLSConfig;
}

export interface SSHTunnelGateway {
  /** 0 = disabled */
  bindPort: number;
  privateKeyFile?: string;
  autoGenPrivateKeyPath: string;
  authorizedKeysFile?: string;
}

export interface ServerConfig {
  auth: ServerAuthConfig;
  bindAddr: string;
  bindPort: number;
  kcpBindPort: number;
  quicBindPort: number;
  proxyBindAddr: string;
  vhostHTTPPort: number;
  vhostHTTPTimeout: number;
  vhostHTTPSPort: number;
  tcpmuxHTTPConnectPort: number;
  tcpmuxPassthrough: boolean;
  subDomainHost?: string;
  custom404Page?: string;
  sshTunnelGateway: SSHTunnelGateway;
  webServer: WebServerConfig;
  enablePrometheus: boolean;
  log: LogConfig;
  transport: ServerTransportConfig;
  detailedErrorsToClient: boolean;
  maxPortsPerClient: number;
  userConnTimeout: number;
  udpPacketSize: number;
  natholeAnalysisDataReserveHours: number;
  allowPorts: PortsRange[];
  httpPlugins: HTTPPluginOptions[];
  /** Beyond frp: `[inspector]` (config/inspector.ts); defaults applied where it is used. */
  inspector?: InspectorConfig;
}

// ---------------------------------------------------------------- client

export interface ClientAuthConfig {
  method: AuthMethod;
  additionalScopes: AuthScope[];
  token: string;
  tokenSource?: ValueSource;
  oidc: {
    clientID?: string;
    clientSecret?: string;
    audience?: string;
    scope?: string;
    tokenEndpointURL?: string;
    additionalEndpointParams?: Record<string, string>;
    trustedCaFile?: string;
    insecureSkipVerify: boolean;
    proxyURL?: string;
    tokenSource?: ValueSource;
  };
}

export interface ClientTransportConfig {
  protocol: "tcp" | "kcp" | "quic" | "websocket" | "wss";
  wireProtocol: "v1" | "v2";
  dialServerTimeout: number;
  dialServerKeepalive: number;
  connectServerLocalIP?: string;
  /** default: env `http_proxy` */
  proxyURL?: string;
  poolCount: number;
  tcpMux: boolean;
  tcpMuxKeepaliveInterval: number;
  quic: QUICOptions;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  tls: { enable: boolean; disableCustomTLSFirstByte: boolean } & TLSConfig;
}

export interface ClientCommonConfig {
  auth: ClientAuthConfig;
  user: string;
  clientID?: string;
  serverAddr: string;
  serverPort: number;
  natHoleStunServer: string;
  dnsServer?: string;
  loginFailExit: boolean;
  start: string[];
  log: LogConfig;
  webServer: WebServerConfig;
  transport: ClientTransportConfig;
  virtualNet: { address?: string };
  featureGates: Record<string, boolean>;
  udpPacketSize: number;
  metadatas?: Record<string, string>;
  includes: string[];
  store: { path?: string };
}

export type ClientConfig = ClientCommonConfig & {
  proxies: ProxyConfig[];
  visitors: VisitorConfig[];
};

// ---------------------------------------------------------------- client plugins

export interface HTTPProxyPluginOptions {
  type: "http_proxy";
  httpUser?: string;
  httpPassword?: string;
}
export interface Socks5PluginOptions {
  type: "socks5";
  username?: string;
  password?: string;
}
export interface StaticFilePluginOptions {
  type: "static_file";
  localPath: string;
  stripPrefix?: string;
  httpUser?: string;
  httpPassword?: string;
}
export interface UnixDomainSocketPluginOptions {
  type: "unix_domain_socket";
  unixPath: string;
}
export interface HTTP2HTTPSPluginOptions {
  type: "http2https";
  localAddr: string;
  hostHeaderRewrite?: string;
  requestHeaders?: HeaderOperations;
}
export interface HTTP2HTTPPluginOptions {
  type: "http2http";
  localAddr?: string;
  hostHeaderRewrite?: string;
  requestHeaders?: HeaderOperations;
}
export interface HTTPS2HTTPPluginOptions {
  type: "https2http";
  localAddr: string;
  hostHeaderRewrite?: string;
  requestHeaders?: HeaderOperations;
  /** default true */
  enableHTTP2: boolean;
  crtPath?: string;
  keyPath?: string;
}
export interface HTTPS2HTTPSPluginOptions {
  type: "https2https";
  localAddr: string;
  hostHeaderRewrite?: string;
  requestHeaders?: HeaderOperations;
  /** default true */
  enableHTTP2: boolean;
  crtPath?: string;
  keyPath?: string;
}
export interface TLS2RawPluginOptions {
  type: "tls2raw";
  localAddr: string;
  crtPath?: string;
  keyPath?: string;
}
export interface VirtualNetPluginOptions {
  type: "virtual_net";
}

export type ClientPluginOptions =
  | HTTPProxyPluginOptions
  | Socks5PluginOptions
  | StaticFilePluginOptions
  | UnixDomainSocketPluginOptions
  | HTTP2HTTPSPluginOptions
  | HTTP2HTTPPluginOptions
  | HTTPS2HTTPPluginOptions
  | HTTPS2HTTPSPluginOptions
  | TLS2RawPluginOptions
  | VirtualNetPluginOptions;

export type ClientPluginType = ClientPluginOptions["type"];

export interface VirtualNetVisitorPluginOptions {
  type: "virtual_net";
  destinationIP: string;
}
export type VisitorPluginOptions = VirtualNetVisitorPluginOptions;

// ---------------------------------------------------------------- proxies

export type ProxyType = "tcp" | "udp" | "http" | "https" | "tcpmux" | "stcp" | "sudp" | "xtcp";
export const PROXY_TYPES: readonly ProxyType[] = [
  "tcp",
  "udp",
  "http",
  "https",
  "tcpmux",
  "stcp",
  "sudp",
  "xtcp",
];

export interface ProxyTransport {
  useEncryption: boolean;
  useCompression: boolean;
  /** e.g. "1MB", "512KB" */
  bandwidthLimit?: string;
  bandwidthLimitMode: "client" | "server";
  proxyProtocolVersion?: "v1" | "v2";
}

export interface HealthCheckConfig {
  type: "tcp" | "http" | "";
  timeoutSeconds: number;
  maxFailed: number;
  intervalSeconds: number;
  path?: string;
  httpHeaders?: HTTPHeader[];
}

export interface ProxyBaseConfig {
  name: string;
  type: ProxyType;
  /** default true */
  enabled: boolean;
  annotations?: Record<string, string>;
  metadatas?: Record<string, string>;
  transport: ProxyTransport;
  loadBalancer?: { group: string; groupKey?: string };
  healthCheck?: HealthCheckConfig;
  /** default "127.0.0.1" */
  localIP: string;
  localPort?: number;
  plugin?: ClientPluginOptions;
}

export interface DomainConfig {
  customDomains?: string[];
  subdomain?: string;
}

export interface TCPProxyConfig extends ProxyBaseConfig {
  type: "tcp";
  remotePort?: number;
}
export interface UDPProxyConfig extends ProxyBaseConfig {
  type: "udp";
  remotePort?: number;
}
export interface HTTPProxyConfig extends ProxyBaseConfig, DomainConfig {
  type: "http";
  locations?: string[];
  httpUser?: string;
  httpPassword?: string;
  hostHeaderRewrite?: string;
  requestHeaders?: HeaderOperations;
  responseHeaders?: HeaderOperations;
  routeByHTTPUser?: string;
}
export interface HTTPSProxyConfig extends ProxyBaseConfig, DomainConfig {
  type: "https";
}
export interface TCPMuxProxyConfig extends ProxyBaseConfig, DomainConfig {
  type: "tcpmux";
  httpUser?: string;
  httpPassword?: string;
  routeByHTTPUser?: string;
  /** must be "httpconnect" */
  multiplexer?: string;
}
export interface STCPProxyConfig extends ProxyBaseConfig {
  type: "stcp";
  secretKey?: string;
  allowUsers?: string[];
}
export interface SUDPProxyConfig extends ProxyBaseConfig {
  type: "sudp";
  secretKey?: string;
  allowUsers?: string[];
}
export interface XTCPProxyConfig extends ProxyBaseConfig {
  type: "xtcp";
  secretKey?: string;
  allowUsers?: string[];
  natTraversal?: NatTraversalConfig;
}

export type ProxyConfig =
  | TCPProxyConfig
  | UDPProxyConfig
  | HTTPProxyConfig
  | HTTPSProxyConfig
  | TCPMuxProxyConfig
  | STCPProxyConfig
  | SUDPProxyConfig
  | XTCPProxyConfig;

// ---------------------------------------------------------------- visitors

export type VisitorType = "stcp" | "sudp" | "xtcp";
export const VISITOR_TYPES: readonly VisitorType[] = ["stcp", "sudp", "xtcp"];

export interface VisitorBaseConfig {
  name: string;
  type: VisitorType;
  /** default true */
  enabled: boolean;
  transport: { useEncryption: boolean; useCompression: boolean };
  secretKey?: string;
  /** empty = the client's own user */
  serverUser?: string;
  serverName: string;
  /** default "127.0.0.1" */
  bindAddr: string;
  /** required non-zero; negative = don't listen (only reached via fallback) */
  bindPort: number;
  plugin?: VisitorPluginOptions;
}

export interface STCPVisitorConfig extends VisitorBaseConfig {
  type: "stcp";
}
export interface SUDPVisitorConfig extends VisitorBaseConfig {
  type: "sudp";
}
export interface XTCPVisitorConfig extends VisitorBaseConfig {
  type: "xtcp";
  /** "quic" (default) | "kcp" */
  protocol: "quic" | "kcp";
  keepTunnelOpen: boolean;
  maxRetriesAnHour: number;
  minRetryInterval: number;
  fallbackTo?: string;
  fallbackTimeoutMs: number;
  natTraversal?: NatTraversalConfig;
}

export type VisitorConfig = STCPVisitorConfig | SUDPVisitorConfig | XTCPVisitorConfig;

// ---------------------------------------------------------------- inputs

/** Recursive partial used for config input (files, embedders). */
export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[]
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> }
  : T;

type Inputify<T> = T extends unknown
  ? DeepPartial<Omit<T, "type">> & { type: T extends { type: infer Ty } ? Ty : never }
  : never;

export type ProxyConfigInput = Inputify<ProxyConfig> & { plugin?: ClientPluginInput };
export type VisitorConfigInput = Inputify<VisitorConfig>;
export type ClientPluginInput = Inputify<ClientPluginOptions>;

export type ServerConfigInput = DeepPartial<ServerConfig>;
export type ClientCommonConfigInput = DeepPartial<ClientCommonConfig>;
export type ClientConfigInput = ClientCommonConfigInput & {
  proxies?: ProxyConfigInput[];
  visitors?: VisitorConfigInput[];
};
