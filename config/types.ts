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
export type { InspectorConfig } from "./inspector.ts";

// ---------------------------------------------------------------- common pieces

/** How frpc proves itself to frps (`auth.method`). */
export type AuthMethod = "token" | "oidc";
/** Messages that carry auth besides Login (`auth.additionalScopes`). */
export type AuthScope = "HeartBeats" | "NewWorkConns";
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** `auth.tokenSource` (frp ValueSource). */
export interface ValueSource {
  /** The kind, as frp spells it in config files. */
  type: "file" | "exec";
  /** Read from a file. */
  file?: { path: string };
  /** Run a command and use its output. */
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
}

/** Certificate, key and CA files for a TLS endpoint. */
export interface TLSConfig {
  /** TLS certificate file. */
  certFile?: string;
  /** TLS key file. */
  keyFile?: string;
  /** CA file to verify the peer with. */
  trustedCaFile?: string;
  /** Server name to verify the peer's certificate against. */
  serverName?: string;
}

/** `transport.quic.*`: QUIC keep-alive, idle timeout and stream limit. */
export interface QUICOptions {
  /** Seconds between QUIC keep-alives. */
  keepalivePeriod: number;
  /** Seconds of silence before a QUIC connection closes. */
  maxIdleTimeout: number;
  /** Concurrent QUIC streams allowed. */
  maxIncomingStreams: number;
}

/** `webServer.*`: frps dashboard or frpc admin API listener. */
export interface WebServerConfig {
  /** default "127.0.0.1" */
  addr: string;
  /** 0 = disabled */
  port: number;
  /** Basic auth user for the dashboard / admin API. */
  user?: string;
  /** Basic auth password. */
  password?: string;
  /** Serve the web UI from this directory instead of the built-in one. */
  assetsDir?: string;
  /** Serve /debug/pprof (not implemented). */
  pprofEnable: boolean;
  /** TLS enabled when present (both files required) */
  tls?: TLSConfig;
}

/** `log.*`: where and how much to log. */
export interface LogConfig {
  /** "console" or a file path */
  to: string;
  /** Lowest level written. */
  level: string;
  /** Days to keep rotated log files. */
  maxDays: number;
  /** No ANSI colours on the console. */
  disablePrintColor: boolean;
}

/** One HTTP header (health check `httpHeaders`). */
export interface HTTPHeader {
  /** Header name. */
  name: string;
  /** Header value. */
  value: string;
}

/** Header rewrites (`requestHeaders`/`responseHeaders`). */
export interface HeaderOperations {
  /** Headers to set (name → value). */
  set?: Record<string, string>;
}

/** xtcp `natTraversal.*` options. */
export interface NatTraversalConfig {
  /** Do not offer LAN addresses as punch candidates. */
  disableAssistedAddrs: boolean;
}

/** `{single}` or `{start, end}` (inclusive). */
export interface PortsRange {
  /** First port of the range. */
  start?: number;
  /** Last port of the range. */
  end?: number;
  /** A single port. */
  single?: number;
}

/** One frps server plugin (`[[httpPlugins]]`). */
export interface HTTPPluginOptions {
  /** Plugin name (for logs). */
  name: string;
  /** Address (host, or URL for plugins). */
  addr: string;
  /** URL path the plugin answers on. */
  path: string;
  /** Operations sent to the plugin (Login, NewProxy, …). */
  ops: string[];
  /** Verify the plugin's HTTPS certificate. */
  tlsVerify: boolean;
}

// ---------------------------------------------------------------- server

/** frps `auth.*`. */
export interface ServerAuthConfig {
  /** Authentication method. */
  method: AuthMethod;
  /** Messages that also carry auth besides Login. */
  additionalScopes: AuthScope[];
  /** Shared token for token auth. */
  token: string;
  /** Where to read the token from instead of `token`. */
  tokenSource?: ValueSource;
  /** OIDC settings (auth.method = "oidc"). */
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
  /** Proxy types the user may register (empty: any). */
  proxyTypes: string[];
  /** Remote ports the user may bind (empty: any the server allows). */
  allowPorts: PortsRange[];
  /** `subdomain` values the user may claim (`*` wildcards). */
  subdomains: string[];
  /** `customDomains` the user may claim (`*` wildcards, e.g. `*.alice.example.com`). */
  customDomains: string[];
  /** Proxies the user may hold at once. */
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

/** frps `transport.*`. */
export interface ServerTransportConfig {
  /** Multiplex all connections over one TCP connection (yamux). */
  tcpMux: boolean;
  /** yamux keep-alive interval in seconds. */
  tcpMuxKeepaliveInterval: number;
  /** TCP keep-alive interval in seconds (negative: off). */
  tcpKeepalive: number;
  /** Largest poolCount frps grants. */
  maxPoolCount: number;
  /** Seconds without a heartbeat before the session is dropped (-1: never). */
  heartbeatTimeout: number;
  /** QUIC options. */
  quic: QUICOptions;
  /** TLS settings. */
  tls: { force: boolean } & TLSConfig;
}

/** frps `sshTunnelGateway.*` (not implemented: a warning at start). */
export interface SSHTunnelGateway {
  /** 0 = disabled */
  bindPort: number;
  /** Host key file. */
  privateKeyFile?: string;
  /** Where a generated host key is stored. */
  autoGenPrivateKeyPath: string;
  /** authorized_keys file for SSH users. */
  authorizedKeysFile?: string;
}

/** A completed frps config (frps.toml with defaults filled in). */
export interface ServerConfig {
  /** Authentication. */
  auth: ServerAuthConfig;
  /** Address to listen on. */
  bindAddr: string;
  /** Port to listen on. */
  bindPort: number;
  /** UDP port for KCP clients (0: off). */
  kcpBindPort: number;
  /** UDP port for QUIC clients (0: off). */
  quicBindPort: number;
  /** Address proxy listeners bind (default bindAddr). */
  proxyBindAddr: string;
  /** Port for http proxies, routed by Host (0: off). */
  vhostHTTPPort: number;
  /** Seconds to wait for an http proxy's response header. */
  vhostHTTPTimeout: number;
  /** Port for https proxies, routed by SNI (0: off). */
  vhostHTTPSPort: number;
  /** Port for tcpmux proxies (HTTP CONNECT; 0: off). */
  tcpmuxHTTPConnectPort: number;
  /** Pass the CONNECT request through to the local service. */
  tcpmuxPassthrough: boolean;
  /** Domain that proxies' `subdomain` is appended to. */
  subDomainHost?: string;
  /** HTML file served when no http proxy matches. */
  custom404Page?: string;
  /** SSH tunnel gateway (not implemented). */
  sshTunnelGateway: SSHTunnelGateway;
  /** Dashboard (frps) or admin API (frpc) listener; port 0 disables it. */
  webServer: WebServerConfig;
  /** Serve Prometheus metrics on the dashboard. */
  enablePrometheus: boolean;
  /** Logging. */
  log: LogConfig;
  /** Transport settings. */
  transport: ServerTransportConfig;
  /** Send detailed error texts to clients. */
  detailedErrorsToClient: boolean;
  /** Ports one client may hold (0: unlimited). */
  maxPortsPerClient: number;
  /** Seconds a user connection waits for a work connection. */
  userConnTimeout: number;
  /** Largest UDP payload relayed, in bytes. */
  udpPacketSize: number;
  /** Hours frps keeps NAT analysis data. */
  natholeAnalysisDataReserveHours: number;
  /** Ports clients may use for remotePort (empty: any). */
  allowPorts: PortsRange[];
  /** Server plugins called over HTTP. */
  httpPlugins: HTTPPluginOptions[];
  /** Beyond frp: `[inspector]` (config/inspector.ts); defaults applied where it is used. */
  inspector?: InspectorConfig;
}

// ---------------------------------------------------------------- client

/** frpc `auth.*`. */
export interface ClientAuthConfig {
  /** Authentication method. */
  method: AuthMethod;
  /** Messages that also carry auth besides Login. */
  additionalScopes: AuthScope[];
  /** Shared token for token auth. */
  token: string;
  /** Where to read the token from instead of `token`. */
  tokenSource?: ValueSource;
  /** OIDC settings (auth.method = "oidc"). */
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

/** frpc `transport.*`. */
export interface ClientTransportConfig {
  /** Protocol to reach frps: tcp, kcp, quic, websocket or wss. */
  protocol: "tcp" | "kcp" | "quic" | "websocket" | "wss";
  /** frp wire protocol version: "v1" or "v2". */
  wireProtocol: "v1" | "v2";
  /** Seconds to wait when connecting to frps. */
  dialServerTimeout: number;
  /** TCP keep-alive toward frps in seconds. */
  dialServerKeepalive: number;
  /** Local address to connect to frps from. */
  connectServerLocalIP?: string;
  /** default: env `http_proxy` */
  proxyURL?: string;
  /** Work connections to open in advance. */
  poolCount: number;
  /** Multiplex all connections over one TCP connection (yamux). */
  tcpMux: boolean;
  /** yamux keep-alive interval in seconds. */
  tcpMuxKeepaliveInterval: number;
  /** QUIC options. */
  quic: QUICOptions;
  /** Seconds between heartbeats (-1: off). */
  heartbeatInterval: number;
  /** Seconds without a heartbeat before the session is dropped (-1: never). */
  heartbeatTimeout: number;
  /** TLS settings. */
  tls: { enable: boolean; disableCustomTLSFirstByte: boolean } & TLSConfig;
}

/** frpc settings outside `[[proxies]]`/`[[visitors]]`. */
export interface ClientCommonConfig {
  /** Authentication. */
  auth: ClientAuthConfig;
  /** User name: prefixes proxy names and scopes visitors. */
  user: string;
  /** Client id reported to frps (default: the run id). */
  clientID?: string;
  /** frps address to connect to. */
  serverAddr: string;
  /** frps port to connect to. */
  serverPort: number;
  /** STUN server used for xtcp. */
  natHoleStunServer: string;
  /** DNS server to resolve frps with. */
  dnsServer?: string;
  /** Exit when the first login fails (otherwise retry). */
  loginFailExit: boolean;
  /** Names of the proxies to start (empty: all). */
  start: string[];
  /** Logging. */
  log: LogConfig;
  /** Dashboard (frps) or admin API (frpc) listener; port 0 disables it. */
  webServer: WebServerConfig;
  /** Transport settings. */
  transport: ClientTransportConfig;
  /** Virtual network settings (not implemented). */
  virtualNet: { address?: string };
  /** Experimental features by name. */
  featureGates: Record<string, boolean>;
  /** Largest UDP payload relayed, in bytes. */
  udpPacketSize: number;
  /** Free-form key/values sent to frps (and its plugins). */
  metadatas?: Record<string, string>;
  /** Extra proxy/visitor files to include (globs). */
  includes: string[];
  /** Proxies/visitors store (not implemented). */
  store: { path?: string };
}

/** A completed frpc config: common settings, proxies and visitors. */
export type ClientConfig = ClientCommonConfig & {
  proxies: ProxyConfig[];
  visitors: VisitorConfig[];
};

// ---------------------------------------------------------------- client plugins

/** Client plugin `http_proxy`: an HTTP proxy as the local service. */
export interface HTTPProxyPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "http_proxy";
  /** HTTP Basic auth user required from users. */
  httpUser?: string;
  /** HTTP Basic auth password required from users. */
  httpPassword?: string;
}
/** Client plugin `socks5`: a SOCKS5 server as the local service. */
export interface Socks5PluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "socks5";
  /** User name. */
  username?: string;
  /** Password. */
  password?: string;
}
/** Client plugin `static_file`: serves a directory over HTTP. */
export interface StaticFilePluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "static_file";
  /** Directory to serve. */
  localPath: string;
  /** URL prefix removed before looking up files. */
  stripPrefix?: string;
  /** HTTP Basic auth user required from users. */
  httpUser?: string;
  /** HTTP Basic auth password required from users. */
  httpPassword?: string;
}
/** Client plugin `unix_domain_socket`: the local service is a unix socket. */
export interface UnixDomainSocketPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "unix_domain_socket";
  /** Path of the unix socket. */
  unixPath: string;
}
/** Client plugin `http2https`: HTTP from frps, HTTPS to the local service. */
export interface HTTP2HTTPSPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "http2https";
  /** `host:port` of the local service. */
  localAddr: string;
  /** Host header sent to the local service. */
  hostHeaderRewrite?: string;
  /** Headers set on requests to the local service. */
  requestHeaders?: HeaderOperations;
}
/** Client plugin `http2http`: HTTP forwarded with rewrites. */
export interface HTTP2HTTPPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "http2http";
  /** `host:port` of the local service. */
  localAddr?: string;
  /** Host header sent to the local service. */
  hostHeaderRewrite?: string;
  /** Headers set on requests to the local service. */
  requestHeaders?: HeaderOperations;
}
/** Client plugin `https2http`: terminates TLS, forwards HTTP. */
export interface HTTPS2HTTPPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "https2http";
  /** `host:port` of the local service. */
  localAddr: string;
  /** Host header sent to the local service. */
  hostHeaderRewrite?: string;
  /** Headers set on requests to the local service. */
  requestHeaders?: HeaderOperations;
  /** default true */
  enableHTTP2: boolean;
  /** TLS certificate file (default: a generated self-signed pair). */
  crtPath?: string;
  /** TLS key file (default: a generated self-signed pair). */
  keyPath?: string;
}
/** Client plugin `https2https`: terminates TLS, forwards HTTPS. */
export interface HTTPS2HTTPSPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "https2https";
  /** `host:port` of the local service. */
  localAddr: string;
  /** Host header sent to the local service. */
  hostHeaderRewrite?: string;
  /** Headers set on requests to the local service. */
  requestHeaders?: HeaderOperations;
  /** default true */
  enableHTTP2: boolean;
  /** TLS certificate file (default: a generated self-signed pair). */
  crtPath?: string;
  /** TLS key file (default: a generated self-signed pair). */
  keyPath?: string;
}
/** Client plugin `tls2raw`: terminates TLS, forwards raw bytes. */
export interface TLS2RawPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "tls2raw";
  /** `host:port` of the local service. */
  localAddr: string;
  /** TLS certificate file (default: a generated self-signed pair). */
  crtPath?: string;
  /** TLS key file (default: a generated self-signed pair). */
  keyPath?: string;
}
/** Client plugin `virtual_net` (not implemented). */
export interface VirtualNetPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "virtual_net";
}

/** Any client plugin, by its `type`. */
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

/** Client plugin names. */
export type ClientPluginType = ClientPluginOptions["type"];

/** Visitor plugin `virtual_net` (not implemented). */
export interface VirtualNetVisitorPluginOptions {
  /** The kind, as frp spells it in config files. */
  type: "virtual_net";
  /** Virtual IP to reach. */
  destinationIP: string;
}
/** Any visitor plugin. */
export type VisitorPluginOptions = VirtualNetVisitorPluginOptions;

// ---------------------------------------------------------------- proxies

/** frp proxy types. */
export type ProxyType = "tcp" | "udp" | "http" | "https" | "tcpmux" | "stcp" | "sudp" | "xtcp";
/** Every proxy type, in frp's order. */
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

/** Per-proxy `transport.*`. */
export interface ProxyTransport {
  /** Encrypt the work connection (AES-128-CFB with the token). */
  useEncryption: boolean;
  /** Compress the work connection (snappy). */
  useCompression: boolean;
  /** e.g. "1MB", "512KB" */
  bandwidthLimit?: string;
  /** Where the bandwidth limit applies: "client" or "server". */
  bandwidthLimitMode: "client" | "server";
  /** Send a PROXY protocol header ("v1" or "v2") to the local service. */
  proxyProtocolVersion?: "v1" | "v2";
}

/** Per-proxy `healthCheck.*`. */
export interface HealthCheckConfig {
  /** The kind, as frp spells it in config files. */
  type: "tcp" | "http" | "";
  /** Seconds before a check counts as failed. */
  timeoutSeconds: number;
  /** Failures before the proxy is taken offline. */
  maxFailed: number;
  /** Seconds between checks. */
  intervalSeconds: number;
  /** URL path of http health checks. */
  path?: string;
  /** Headers sent with http health checks. */
  httpHeaders?: HTTPHeader[];
}

/** Settings every proxy type has. */
export interface ProxyBaseConfig {
  /** Name, unique per client (or per server for plugins). */
  name: string;
  /** The kind, as frp spells it in config files. */
  type: ProxyType;
  /** default true */
  enabled: boolean;
  /** Free-form key/values shown in the dashboard. */
  annotations?: Record<string, string>;
  /** Free-form key/values sent to frps (and its plugins). */
  metadatas?: Record<string, string>;
  /** Transport settings. */
  transport: ProxyTransport;
  /** Load-balancing group (`group`, `groupKey`). */
  loadBalancer?: { group: string; groupKey?: string };
  /** Health check that takes the proxy offline while failing. */
  healthCheck?: HealthCheckConfig;
  /** default "127.0.0.1" */
  localIP: string;
  /** Port of the local service. */
  localPort?: number;
  /** Plugin serving the proxy instead of localIP:localPort. */
  plugin?: ClientPluginOptions;
}

/** Domain routing of http/https/tcpmux proxies. */
export interface DomainConfig {
  /** Domains routed to this proxy. */
  customDomains?: string[];
  /** Subdomain of frps's subDomainHost. */
  subdomain?: string;
}

/** A `tcp` proxy. */
export interface TCPProxyConfig extends ProxyBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "tcp";
  /** Port frps listens on for this proxy (0: frps picks). */
  remotePort?: number;
}
/** A `udp` proxy. */
export interface UDPProxyConfig extends ProxyBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "udp";
  /** Port frps listens on for this proxy (0: frps picks). */
  remotePort?: number;
}
/** An `http` proxy (frps vhostHTTPPort). */
export interface HTTPProxyConfig extends ProxyBaseConfig, DomainConfig {
  /** The kind, as frp spells it in config files. */
  type: "http";
  /** URL path prefixes routed to this proxy. */
  locations?: string[];
  /** HTTP Basic auth user required from users. */
  httpUser?: string;
  /** HTTP Basic auth password required from users. */
  httpPassword?: string;
  /** Host header sent to the local service. */
  hostHeaderRewrite?: string;
  /** Headers set on requests to the local service. */
  requestHeaders?: HeaderOperations;
  /** Headers set on responses to the user. */
  responseHeaders?: HeaderOperations;
  /** Route by the HTTP Basic/Proxy auth user. */
  routeByHTTPUser?: string;
}
/** An `https` proxy (frps vhostHTTPSPort, routed by SNI). */
export interface HTTPSProxyConfig extends ProxyBaseConfig, DomainConfig {
  /** The kind, as frp spells it in config files. */
  type: "https";
}
/** A `tcpmux` proxy (HTTP CONNECT on tcpmuxHTTPConnectPort). */
export interface TCPMuxProxyConfig extends ProxyBaseConfig, DomainConfig {
  /** The kind, as frp spells it in config files. */
  type: "tcpmux";
  /** HTTP Basic auth user required from users. */
  httpUser?: string;
  /** HTTP Basic auth password required from users. */
  httpPassword?: string;
  /** Route by the HTTP Basic/Proxy auth user. */
  routeByHTTPUser?: string;
  /** must be "httpconnect" */
  multiplexer?: string;
}
/** An `stcp` proxy: reached only through a visitor with the secret key. */
export interface STCPProxyConfig extends ProxyBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "stcp";
  /** Shared secret between the proxy and its visitors. */
  secretKey?: string;
  /** frpc users whose visitors may connect (`*` for all); default the owner only. */
  allowUsers?: string[];
}
/** An `sudp` proxy: udp through a visitor with the secret key. */
export interface SUDPProxyConfig extends ProxyBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "sudp";
  /** Shared secret between the proxy and its visitors. */
  secretKey?: string;
  /** frpc users whose visitors may connect (`*` for all); default the owner only. */
  allowUsers?: string[];
}
/** An `xtcp` proxy: P2P through a hole-punched tunnel. */
export interface XTCPProxyConfig extends ProxyBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "xtcp";
  /** Shared secret between the proxy and its visitors. */
  secretKey?: string;
  /** frpc users whose visitors may connect (`*` for all); default the owner only. */
  allowUsers?: string[];
  /** NAT traversal options. */
  natTraversal?: NatTraversalConfig;
}

/** Any proxy, by its `type`. */
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

/** frp visitor types. */
export type VisitorType = "stcp" | "sudp" | "xtcp";
/** Every visitor type. */
export const VISITOR_TYPES: readonly VisitorType[] = ["stcp", "sudp", "xtcp"];

/** Settings every visitor type has. */
export interface VisitorBaseConfig {
  /** Name, unique per client (or per server for plugins). */
  name: string;
  /** The kind, as frp spells it in config files. */
  type: VisitorType;
  /** default true */
  enabled: boolean;
  /** Transport settings. */
  transport: { useEncryption: boolean; useCompression: boolean };
  /** Shared secret between the proxy and its visitors. */
  secretKey?: string;
  /** empty = the client's own user */
  serverUser?: string;
  /** Name of the proxy a visitor connects to (TLS: server name to verify). */
  serverName: string;
  /** default "127.0.0.1" */
  bindAddr: string;
  /** required non-zero; negative = don't listen (only reached via fallback) */
  bindPort: number;
  /** Plugin serving the proxy instead of localIP:localPort. */
  plugin?: VisitorPluginOptions;
}

/** An `stcp` visitor. */
export interface STCPVisitorConfig extends VisitorBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "stcp";
}
/** An `sudp` visitor. */
export interface SUDPVisitorConfig extends VisitorBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "sudp";
}
/** An `xtcp` visitor. */
export interface XTCPVisitorConfig extends VisitorBaseConfig {
  /** The kind, as frp spells it in config files. */
  type: "xtcp";
  /** "quic" (default) | "kcp" */
  protocol: "quic" | "kcp";
  /** Keep the P2P tunnel open without users. */
  keepTunnelOpen: boolean;
  /** Punch attempts allowed per hour. */
  maxRetriesAnHour: number;
  /** Seconds between punch retries. */
  minRetryInterval: number;
  /** Visitor to use when the P2P tunnel cannot be made. */
  fallbackTo?: string;
  /** Milliseconds to wait for the tunnel before falling back. */
  fallbackTimeoutMs: number;
  /** NAT traversal options. */
  natTraversal?: NatTraversalConfig;
}

/** Any visitor, by its `type`. */
export type VisitorConfig = STCPVisitorConfig | SUDPVisitorConfig | XTCPVisitorConfig;

// ---------------------------------------------------------------- inputs

/** Recursive partial used for config input (files, embedders). */
export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[]
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> }
  : T;

/** A config union as written in a file: every member partial except its `type`. */
export type Inputify<T> = T extends unknown
  ? DeepPartial<Omit<T, "type">> & { type: T extends { type: infer Ty } ? Ty : never }
  : never;

/** A proxy as written in a config (only `name` and `type` required). */
export type ProxyConfigInput = Inputify<ProxyConfig> & { plugin?: ClientPluginInput };
/** A visitor as written in a config. */
export type VisitorConfigInput = Inputify<VisitorConfig>;
/** A client plugin as written in a config. */
export type ClientPluginInput = Inputify<ClientPluginOptions>;

/** frps settings as written in a config; completeServerConfig fills the rest. */
export type ServerConfigInput = DeepPartial<ServerConfig>;
/** frpc common settings as written in a config. */
export type ClientCommonConfigInput = DeepPartial<ClientCommonConfig>;
/** An frpc config as written (completeClientConfig fills the rest). */
export type ClientConfigInput = ClientCommonConfigInput & {
  proxies?: ProxyConfigInput[];
  visitors?: VisitorConfigInput[];
};
