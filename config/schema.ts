/**
 * Field schemas of the frp v1 model, used by the decoder (Go encoding/json semantics:
 * case-insensitive field names, strict unknown-field checks, integral ints).
 *
 * @module
 */

export type Schema =
  | { k: "string" }
  | { k: "int"; go?: "int64" }
  | { k: "bool" }
  | { k: "float" }
  | { k: "map"; v: Schema }
  | { k: "array"; of: Schema }
  | { k: "struct"; name: string; fields: Record<string, Schema> }
  | { k: "proxies" }
  | { k: "visitors" }
  | { k: "clientPlugin" }
  | { k: "visitorPlugin" }
  | { k: "raw" };

const S: Schema = { k: "string" };
const I: Schema = { k: "int" };
/** Go int64 fields (the type name shows in decode errors). */
const I64: Schema = { k: "int", go: "int64" };
const B: Schema = { k: "bool" };
const strArr: Schema = { k: "array", of: S };
const strMap: Schema = { k: "map", v: S };
const st = (name: string, fields: Record<string, Schema>): Schema => ({
  k: "struct",
  name,
  fields,
});

const valueSource = st("ValueSource", {
  type: S,
  file: st("FileSource", { path: S }),
  exec: st("ExecSource", {
    command: S,
    args: strArr,
    env: { k: "array", of: st("ExecEnvVar", { name: S, value: S }) },
  }),
});

const tlsFields = { certFile: S, keyFile: S, trustedCaFile: S, serverName: S };
const quic = st("QUICOptions", { keepalivePeriod: I, maxIdleTimeout: I, maxIncomingStreams: I });
const webServer = st("WebServerConfig", {
  addr: S,
  port: I,
  user: S,
  password: S,
  assetsDir: S,
  pprofEnable: B,
  tls: st("TLSConfig", tlsFields),
});
const log = st("LogConfig", { to: S, level: S, maxDays: I64, disablePrintColor: B });
const headerOps = st("HeaderOperations", { set: strMap });
const natTraversal = st("NatTraversalConfig", { disableAssistedAddrs: B });

export const serverSchema: Schema = st("ServerConfig", {
  version: S,
  auth: st("AuthServerConfig", {
    method: S,
    additionalScopes: strArr,
    token: S,
    tokenSource: valueSource,
    oidc: st("AuthOIDCServerConfig", {
      issuer: S,
      audience: S,
      skipExpiryCheck: B,
      skipIssuerCheck: B,
    }),
    users: {
      k: "array",
      of: st("ServerUserConfig", {
        user: S,
        token: S,
        oidcSubject: S,
        proxyTypes: strArr,
        allowPorts: { k: "array", of: st("PortsRange", { start: I, end: I, single: I }) },
        subdomains: strArr,
        customDomains: strArr,
        maxProxies: I,
        maxConnections: I,
        bandwidthLimit: S,
        loginAllowIPs: strArr,
        userConnAllowIPs: strArr,
        connRateLimit: I,
      }),
    },
    allowUnlistedUsers: B,
  }),
  bindAddr: S,
  bindPort: I,
  kcpBindPort: I,
  quicBindPort: I,
  proxyBindAddr: S,
  vhostHTTPPort: I,
  vhostHTTPTimeout: I64,
  vhostHTTPSPort: I,
  tcpmuxHTTPConnectPort: I,
  tcpmuxPassthrough: B,
  subDomainHost: S,
  custom404Page: S,
  sshTunnelGateway: st("SSHTunnelGateway", {
    bindPort: I,
    privateKeyFile: S,
    autoGenPrivateKeyPath: S,
    authorizedKeysFile: S,
  }),
  webServer,
  enablePrometheus: B,
  log,
  transport: st("ServerTransportConfig", {
    tcpMux: B,
    tcpMuxKeepaliveInterval: I64,
    tcpKeepalive: I64,
    maxPoolCount: I64,
    heartbeatTimeout: I64,
    quic,
    tls: st("TLSServerConfig", { force: B, ...tlsFields }),
  }),
  detailedErrorsToClient: B,
  maxPortsPerClient: I64,
  userConnTimeout: I64,
  udpPacketSize: I64,
  natholeAnalysisDataReserveHours: I64,
  allowPorts: { k: "array", of: st("PortsRange", { start: I, end: I, single: I }) },
  httpPlugins: {
    k: "array",
    of: st("HTTPPluginOptions", { name: S, addr: S, path: S, ops: strArr, tlsVerify: B }),
  },
  // Beyond frp: the request inspector (config/inspector.ts).
  inspector: st("InspectorConfig", {
    enable: B,
    proxies: strArr,
    maxRequests: I,
    maxBodyPreviewBytes: I,
    maxBufferBytes: I,
  }),
});

export const clientCommonFields: Record<string, Schema> = {
  version: S,
  auth: st("AuthClientConfig", {
    method: S,
    additionalScopes: strArr,
    token: S,
    tokenSource: valueSource,
    oidc: st("AuthOIDCClientConfig", {
      clientID: S,
      clientSecret: S,
      audience: S,
      scope: S,
      tokenEndpointURL: S,
      additionalEndpointParams: strMap,
      trustedCaFile: S,
      insecureSkipVerify: B,
      proxyURL: S,
      tokenSource: valueSource,
    }),
  }),
  user: S,
  clientID: S,
  serverAddr: S,
  serverPort: I,
  natHoleStunServer: S,
  dnsServer: S,
  loginFailExit: B,
  start: strArr,
  log,
  webServer,
  transport: st("ClientTransportConfig", {
    protocol: S,
    wireProtocol: S,
    dialServerTimeout: I64,
    dialServerKeepalive: I64,
    connectServerLocalIP: S,
    proxyURL: S,
    poolCount: I,
    tcpMux: B,
    tcpMuxKeepaliveInterval: I64,
    quic,
    heartbeatInterval: I64,
    heartbeatTimeout: I64,
    tls: st("TLSClientConfig", { enable: B, disableCustomTLSFirstByte: B, ...tlsFields }),
  }),
  virtualNet: st("VirtualNetConfig", { address: S }),
  featureGates: { k: "map", v: B },
  udpPacketSize: I64,
  metadatas: strMap,
  includes: strArr,
  store: st("StoreConfig", { path: S }),
};

export const clientSchema: Schema = st("ClientConfig", {
  ...clientCommonFields,
  proxies: { k: "proxies" },
  visitors: { k: "visitors" },
});

const proxyBase: Record<string, Schema> = {
  name: S,
  type: S,
  enabled: B,
  annotations: strMap,
  transport: st("ProxyTransport", {
    useEncryption: B,
    useCompression: B,
    bandwidthLimit: S,
    bandwidthLimitMode: S,
    proxyProtocolVersion: S,
  }),
  metadatas: strMap,
  loadBalancer: st("LoadBalancerConfig", { group: S, groupKey: S }),
  healthCheck: st("HealthCheckConfig", {
    type: S,
    timeoutSeconds: I,
    maxFailed: I,
    intervalSeconds: I,
    path: S,
    httpHeaders: { k: "array", of: st("HTTPHeader", { name: S, value: S }) },
  }),
  localIP: S,
  localPort: I,
  plugin: { k: "clientPlugin" },
};
const domain = { customDomains: strArr, subdomain: S };
const secret = { secretKey: S, allowUsers: strArr };

export const proxySchemas: Record<string, Schema> = {
  tcp: st("TCPProxyConfig", { ...proxyBase, remotePort: I }),
  udp: st("UDPProxyConfig", { ...proxyBase, remotePort: I }),
  http: st("HTTPProxyConfig", {
    ...proxyBase,
    ...domain,
    locations: strArr,
    httpUser: S,
    httpPassword: S,
    hostHeaderRewrite: S,
    requestHeaders: headerOps,
    responseHeaders: headerOps,
    routeByHTTPUser: S,
  }),
  https: st("HTTPSProxyConfig", { ...proxyBase, ...domain }),
  tcpmux: st("TCPMuxProxyConfig", {
    ...proxyBase,
    ...domain,
    httpUser: S,
    httpPassword: S,
    routeByHTTPUser: S,
    multiplexer: S,
  }),
  stcp: st("STCPProxyConfig", { ...proxyBase, ...secret }),
  sudp: st("SUDPProxyConfig", { ...proxyBase, ...secret }),
  xtcp: st("XTCPProxyConfig", { ...proxyBase, ...secret, natTraversal }),
};

const visitorBase: Record<string, Schema> = {
  name: S,
  type: S,
  enabled: B,
  transport: st("VisitorTransport", { useEncryption: B, useCompression: B }),
  secretKey: S,
  serverUser: S,
  serverName: S,
  bindAddr: S,
  bindPort: I,
  plugin: { k: "visitorPlugin" },
};

export const visitorSchemas: Record<string, Schema> = {
  stcp: st("STCPVisitorConfig", visitorBase),
  sudp: st("SUDPVisitorConfig", visitorBase),
  xtcp: st("XTCPVisitorConfig", {
    ...visitorBase,
    protocol: S,
    keepTunnelOpen: B,
    maxRetriesAnHour: I,
    minRetryInterval: I,
    fallbackTo: S,
    fallbackTimeoutMs: I,
    natTraversal,
  }),
};

const httpHdr = { localAddr: S, hostHeaderRewrite: S, requestHeaders: headerOps };
const httpsHdr = { ...httpHdr, enableHTTP2: B, crtPath: S, keyPath: S };

export const clientPluginSchemas: Record<string, Schema> = {
  http_proxy: st("HTTPProxyPluginOptions", { type: S, httpUser: S, httpPassword: S }),
  socks5: st("Socks5PluginOptions", { type: S, username: S, password: S }),
  static_file: st("StaticFilePluginOptions", {
    type: S,
    localPath: S,
    stripPrefix: S,
    httpUser: S,
    httpPassword: S,
  }),
  unix_domain_socket: st("UnixDomainSocketPluginOptions", { type: S, unixPath: S }),
  http2https: st("HTTP2HTTPSPluginOptions", { type: S, ...httpHdr }),
  http2http: st("HTTP2HTTPPluginOptions", { type: S, ...httpHdr }),
  https2http: st("HTTPS2HTTPPluginOptions", { type: S, ...httpsHdr }),
  https2https: st("HTTPS2HTTPSPluginOptions", { type: S, ...httpsHdr }),
  tls2raw: st("TLS2RawPluginOptions", { type: S, localAddr: S, crtPath: S, keyPath: S }),
  virtual_net: st("VirtualNetPluginOptions", { type: S }),
};

export const visitorPluginSchemas: Record<string, Schema> = {
  virtual_net: st("VirtualNetVisitorPluginOptions", { type: S, destinationIP: S }),
};
