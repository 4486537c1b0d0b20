/**
 * Defaults (frp's `Complete()`): `EmptyOr` semantics — a zero value (0, "", unset) takes the
 * default, so an explicit 0 can never override a non-zero default.
 *
 * @module
 */

import type {
  ClientCommonConfig,
  ClientPluginOptions,
  HealthCheckConfig,
  LogConfig,
  ProxyConfig,
  QUICOptions,
  ServerConfig,
  ServerUserConfig,
  VisitorConfig,
  WebServerConfig,
} from "./types.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function emptyOr<T>(v: T | undefined | null, d: T): T {
  if (v === undefined || v === null || v === "" || v === 0) return d;
  return v;
}

function obj(v: unknown): Record<string, Any> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? { ...(v as Record<string, Any>) }
    : {};
}

function completeQuic(v: unknown): QUICOptions {
  const q = obj(v);
  return {
    keepalivePeriod: emptyOr(q.keepalivePeriod, 10),
    maxIdleTimeout: emptyOr(q.maxIdleTimeout, 30),
    maxIncomingStreams: emptyOr(q.maxIncomingStreams, 100000),
  };
}

function completeLog(v: unknown): LogConfig {
  const l = obj(v);
  return {
    to: emptyOr(l.to, "console"),
    level: emptyOr(l.level, "info"),
    maxDays: emptyOr(l.maxDays, 3),
    disablePrintColor: l.disablePrintColor ?? false,
  };
}

function completeWebServer(v: unknown, defaultAddr = "127.0.0.1"): WebServerConfig {
  const w = obj(v);
  const out: WebServerConfig = {
    ...w,
    addr: emptyOr(w.addr, defaultAddr),
    port: w.port ?? 0,
    pprofEnable: w.pprofEnable ?? false,
  };
  if (w.tls !== undefined) out.tls = obj(w.tls);
  return out;
}

function completeServerUser(u: Any): ServerUserConfig {
  return {
    ...u,
    user: u.user ?? "",
    proxyTypes: u.proxyTypes ?? [],
    allowPorts: u.allowPorts ?? [],
    subdomains: u.subdomains ?? [],
    customDomains: u.customDomains ?? [],
    maxProxies: u.maxProxies ?? 0,
    maxConnections: u.maxConnections ?? 0,
    loginAllowIPs: u.loginAllowIPs ?? [],
    userConnAllowIPs: u.userConnAllowIPs ?? [],
    connRateLimit: u.connRateLimit ?? 0,
  };
}

/** Fill frps defaults. Input must already be decoded (canonical names, right types). */
export function completeServer(input: unknown): ServerConfig {
  const c = obj(input);
  delete c.version;
  const auth = obj(c.auth);
  const transport = obj(c.transport);
  const tcpMux = transport.tcpMux ?? true;
  const tls = obj(transport.tls);
  const bindAddr = emptyOr(c.bindAddr, "0.0.0.0");
  const ssh = obj(c.sshTunnelGateway);
  const out: ServerConfig = {
    ...c,
    auth: {
      ...auth,
      method: emptyOr(auth.method, "token"),
      additionalScopes: auth.additionalScopes ?? [],
      token: auth.token ?? "",
      oidc: {
        ...obj(auth.oidc),
        skipExpiryCheck: obj(auth.oidc).skipExpiryCheck ?? false,
        skipIssuerCheck: obj(auth.oidc).skipIssuerCheck ?? false,
      },
      users: (auth.users ?? []).map(completeServerUser),
      allowUnlistedUsers: auth.allowUnlistedUsers ?? false,
    },
    bindAddr,
    bindPort: emptyOr(c.bindPort, 7000),
    kcpBindPort: c.kcpBindPort ?? 0,
    quicBindPort: c.quicBindPort ?? 0,
    proxyBindAddr: emptyOr(c.proxyBindAddr, bindAddr),
    vhostHTTPPort: c.vhostHTTPPort ?? 0,
    vhostHTTPTimeout: emptyOr(c.vhostHTTPTimeout, 60),
    vhostHTTPSPort: c.vhostHTTPSPort ?? 0,
    tcpmuxHTTPConnectPort: c.tcpmuxHTTPConnectPort ?? 0,
    tcpmuxPassthrough: c.tcpmuxPassthrough ?? false,
    sshTunnelGateway: {
      ...ssh,
      bindPort: ssh.bindPort ?? 0,
      autoGenPrivateKeyPath: emptyOr(ssh.autoGenPrivateKeyPath, "./.autogen_ssh_key"),
    },
    webServer: completeWebServer(c.webServer),
    enablePrometheus: c.enablePrometheus ?? false,
    log: completeLog(c.log),
    transport: {
      ...transport,
      tcpMux,
      tcpMuxKeepaliveInterval: emptyOr(transport.tcpMuxKeepaliveInterval, 30),
      tcpKeepalive: emptyOr(transport.tcpKeepalive, 7200),
      maxPoolCount: emptyOr(transport.maxPoolCount, 5),
      heartbeatTimeout: emptyOr(transport.heartbeatTimeout, tcpMux ? -1 : 90),
      quic: completeQuic(transport.quic),
      tls: { ...tls, force: tls.trustedCaFile ? true : (tls.force ?? false) },
    },
    detailedErrorsToClient: c.detailedErrorsToClient ?? true,
    maxPortsPerClient: c.maxPortsPerClient ?? 0,
    userConnTimeout: emptyOr(c.userConnTimeout, 10),
    udpPacketSize: emptyOr(c.udpPacketSize, 1500),
    natholeAnalysisDataReserveHours: emptyOr(c.natholeAnalysisDataReserveHours, 168),
    allowPorts: c.allowPorts ?? [],
    httpPlugins: (c.httpPlugins ?? []).map((p: Any) => ({
      name: p.name ?? "",
      addr: p.addr ?? "",
      path: p.path ?? "",
      ops: p.ops ?? [],
      tlsVerify: p.tlsVerify ?? false,
    })),
  };
  return out;
}

/** Fill frpc common defaults. `env` supplies `http_proxy` for transport.proxyURL. */
export function completeClientCommon(
  input: unknown,
  env: Record<string, string> = {},
): ClientCommonConfig {
  const c = obj(input);
  delete c.version;
  delete c.proxies;
  delete c.visitors;
  const auth = obj(c.auth);
  const t = obj(c.transport);
  const tcpMux = t.tcpMux ?? true;
  const tls = obj(t.tls);
  const proxyURL = emptyOr(t.proxyURL, envOrEmpty(env, "http_proxy"));
  const out: ClientCommonConfig = {
    ...c,
    auth: {
      ...auth,
      method: emptyOr(auth.method, "token"),
      additionalScopes: auth.additionalScopes ?? [],
      token: auth.token ?? "",
      oidc: { ...obj(auth.oidc), insecureSkipVerify: obj(auth.oidc).insecureSkipVerify ?? false },
    },
    user: c.user ?? "",
    serverAddr: emptyOr(c.serverAddr, "0.0.0.0"),
    serverPort: emptyOr(c.serverPort, 7000),
    natHoleStunServer: emptyOr(c.natHoleStunServer, "stun.easyvoip.com:3478"),
    loginFailExit: c.loginFailExit ?? true,
    start: c.start ?? [],
    log: completeLog(c.log),
    webServer: completeWebServer(c.webServer),
    transport: {
      ...t,
      protocol: emptyOr(t.protocol, "tcp"),
      wireProtocol: emptyOr(t.wireProtocol, "v1"),
      dialServerTimeout: emptyOr(t.dialServerTimeout, 10),
      dialServerKeepalive: emptyOr(t.dialServerKeepalive, 7200),
      poolCount: emptyOr(t.poolCount, 1),
      tcpMux,
      tcpMuxKeepaliveInterval: emptyOr(t.tcpMuxKeepaliveInterval, 30),
      quic: completeQuic(t.quic),
      heartbeatInterval: emptyOr(t.heartbeatInterval, tcpMux ? -1 : 30),
      heartbeatTimeout: emptyOr(t.heartbeatTimeout, tcpMux ? -1 : 90),
      tls: {
        ...tls,
        enable: tls.enable ?? true,
        disableCustomTLSFirstByte: tls.disableCustomTLSFirstByte ?? true,
      },
    },
    virtualNet: obj(c.virtualNet),
    featureGates: obj(c.featureGates),
    udpPacketSize: emptyOr(c.udpPacketSize, 1500),
    includes: c.includes ?? [],
    store: obj(c.store),
  };
  if (proxyURL) out.transport.proxyURL = proxyURL;
  else delete out.transport.proxyURL;
  return out;
}

function completePlugin(p: unknown): ClientPluginOptions | undefined {
  if (p === undefined) return undefined;
  const o = obj(p);
  if (o.type === "https2http" || o.type === "https2https") {
    o.enableHTTP2 = o.enableHTTP2 ?? true;
  }
  return o as ClientPluginOptions;
}

function completeHealthCheck(v: unknown): HealthCheckConfig | undefined {
  if (v === undefined) return undefined;
  const h = obj(v);
  return {
    ...h,
    type: h.type ?? "",
    timeoutSeconds: h.timeoutSeconds > 0 ? h.timeoutSeconds : 3,
    maxFailed: h.maxFailed > 0 ? h.maxFailed : 1,
    intervalSeconds: h.intervalSeconds > 0 ? h.intervalSeconds : 10,
  };
}

/** Fill proxy defaults (ProxyBaseConfig.Complete + plugin Complete). */
export function completeProxy(input: unknown): ProxyConfig {
  const p = obj(input);
  const tr = obj(p.transport);
  const out: Any = {
    ...p,
    name: p.name ?? "",
    type: p.type,
    enabled: p.enabled ?? true,
    transport: {
      ...tr,
      useEncryption: tr.useEncryption ?? false,
      useCompression: tr.useCompression ?? false,
      bandwidthLimitMode: emptyOr(tr.bandwidthLimitMode, "client"),
    },
    localIP: emptyOr(p.localIP, "127.0.0.1"),
  };
  if (tr.bandwidthLimit === "") delete out.transport.bandwidthLimit;
  if (tr.proxyProtocolVersion === "") delete out.transport.proxyProtocolVersion;
  if (p.loadBalancer !== undefined) {
    out.loadBalancer = { ...obj(p.loadBalancer), group: obj(p.loadBalancer).group ?? "" };
  }
  if (p.healthCheck !== undefined) out.healthCheck = completeHealthCheck(p.healthCheck);
  if (p.plugin !== undefined) out.plugin = completePlugin(p.plugin);
  else delete out.plugin;
  if (p.natTraversal !== undefined) {
    out.natTraversal = { disableAssistedAddrs: obj(p.natTraversal).disableAssistedAddrs ?? false };
  }
  return out as ProxyConfig;
}

/** Fill visitor defaults. */
export function completeVisitor(input: unknown): VisitorConfig {
  const v = obj(input);
  const tr = obj(v.transport);
  const out: Any = {
    ...v,
    name: v.name ?? "",
    type: v.type,
    enabled: v.enabled ?? true,
    transport: {
      useEncryption: tr.useEncryption ?? false,
      useCompression: tr.useCompression ?? false,
    },
    serverName: v.serverName ?? "",
    bindAddr: emptyOr(v.bindAddr, "127.0.0.1"),
    bindPort: v.bindPort ?? 0,
  };
  if (v.type === "xtcp") {
    out.protocol = emptyOr(v.protocol, "quic");
    out.keepTunnelOpen = v.keepTunnelOpen ?? false;
    out.maxRetriesAnHour = emptyOr(v.maxRetriesAnHour, 8);
    out.minRetryInterval = emptyOr(v.minRetryInterval, 90);
    out.fallbackTimeoutMs = emptyOr(v.fallbackTimeoutMs, 1000);
    if (v.natTraversal !== undefined) {
      out.natTraversal = {
        disableAssistedAddrs: obj(v.natTraversal).disableAssistedAddrs ?? false,
      };
    }
  }
  return out as VisitorConfig;
}

/**
 * An optional environment default: a variable outside a narrowed --allow-env counts as unset
 * (Go would read it; we may not, and a proxy default is not worth failing the start over).
 */
function envOrEmpty(env: Record<string, string>, name: string): string {
  try {
    return env[name] ?? "";
  } catch {
    return "";
  }
}
