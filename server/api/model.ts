/**
 * JSON shapes of the frps dashboard API, field for field as Go frp v0.70.1 writes them
 * (server/http/model, behaviour.md §11.4): key order and `omitempty` rules included.
 *
 * @module
 */
import type { NewProxy } from "../../protocol/msg/messages.ts";
import type { ServerConfig } from "../../config/types.ts";
import type { ClientRecord, ProxyRecord, ServerStats } from "./stats.ts";

type Json = Record<string, unknown>;

const nonEmpty = (m?: Record<string, string>): boolean => !!m && Object.keys(m).length > 0;

/** `allowPorts` in frp's `1000-2000,3000` form. */
export function allowPortsString(cfg: ServerConfig): string {
  return cfg.allowPorts.map((r) =>
    r.single !== undefined
      ? String(r.single)
      : r.start === r.end
      ? String(r.start)
      : `${r.start}-${r.end}`
  ).join(",");
}

/** Server config keys shared by `/api/serverinfo` and v2 `config`. */
export function serverConfigInfo(cfg: ServerConfig): Json {
  return {
    bindPort: cfg.bindPort,
    vhostHTTPPort: cfg.vhostHTTPPort,
    vhostHTTPSPort: cfg.vhostHTTPSPort,
    tcpmuxHTTPConnectPort: cfg.tcpmuxHTTPConnectPort,
    kcpBindPort: cfg.kcpBindPort,
    quicBindPort: cfg.quicBindPort,
    subdomainHost: cfg.subDomainHost ?? "",
    maxPoolCount: cfg.transport.maxPoolCount,
    maxPortsPerClient: cfg.maxPortsPerClient,
    heartbeatTimeout: cfg.transport.heartbeatTimeout,
    allowPortsStr: allowPortsString(cfg),
    tlsForce: cfg.transport.tls.force,
  };
}

/** Traffic/count keys shared by `/api/serverinfo` and v2 `status`. */
export function serverStatusInfo(stats: ServerStats): Json {
  const types = [...stats.proxyTypeCounts.keys()].sort();
  return {
    totalTrafficIn: stats.totalIn.today(),
    totalTrafficOut: stats.totalOut.today(),
    curConns: stats.curConns,
    clientCounts: stats.clientCount,
    proxyTypeCount: Object.fromEntries(types.map((t) => [t, stats.proxyTypeCounts.get(t)])),
  };
}

/** `GET /api/serverinfo`. */
export function serverInfo(version: string, cfg: ServerConfig, stats: ServerStats): Json {
  const c = serverConfigInfo(cfg);
  if (c.allowPortsStr === "") delete c.allowPortsStr;
  if (!c.tlsForce) delete c.tlsForce;
  return { version, ...c, ...serverStatusInfo(stats) };
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** frp's `01-02 15:04:05` local time, "" for never. */
export function shortTime(ms: number): string {
  if (ms <= 0) return "";
  const d = new Date(ms);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${
    pad(d.getMinutes())
  }:${pad(d.getSeconds())}`;
}

const unix = (ms: number): number => Math.floor(ms / 1000);

function domainFields(msg: NewProxy): Json {
  const o: Json = {};
  if (msg.custom_domains && msg.custom_domains.length > 0) o.customDomains = msg.custom_domains;
  if (msg.subdomain) o.subdomain = msg.subdomain;
  return o;
}

/** The server's view of a proxy config in v1 config JSON naming (ProxyStats.conf). */
export function proxyConf(name: string, msg: NewProxy): Json {
  const type = msg.proxy_type || "tcp";
  const o: Json = { name, type };
  if (nonEmpty(msg.annotations)) o.annotations = msg.annotations;
  const transport: Json = {};
  if (msg.use_encryption) transport.useEncryption = true;
  if (msg.use_compression) transport.useCompression = true;
  transport.bandwidthLimit = msg.bandwidth_limit ?? "";
  transport.bandwidthLimitMode = msg.bandwidth_limit_mode || "client";
  o.transport = transport;
  if (nonEmpty(msg.metas)) o.metadatas = msg.metas;
  o.loadBalancer = msg.group_key
    ? { group: msg.group ?? "", groupKey: msg.group_key }
    : { group: msg.group ?? "" };
  o.healthCheck = { type: "", intervalSeconds: 0 };
  o.localIP = "127.0.0.1";
  o.plugin = null;
  switch (type) {
    case "tcp":
    case "udp":
      o.remotePort = msg.remote_port ?? 0;
      break;
    case "http":
      Object.assign(o, domainFields(msg));
      o.locations = msg.locations && msg.locations.length > 0 ? msg.locations : null;
      o.hostHeaderRewrite = msg.host_header_rewrite ?? "";
      break;
    case "https":
      Object.assign(o, domainFields(msg));
      break;
    case "tcpmux":
      Object.assign(o, domainFields(msg));
      o.multiplexer = msg.multiplexer ?? "";
      o.routeByHTTPUser = msg.route_by_http_user ?? "";
      break;
  }
  return o;
}

/** The v2 `spec.<type>` object of an online proxy. */
export function proxySpec(msg: NewProxy): Json {
  const type = msg.proxy_type || "tcp";
  const o: Json = {};
  if (nonEmpty(msg.annotations)) o.annotations = msg.annotations;
  if (nonEmpty(msg.metas)) o.metadatas = msg.metas;
  o.transport = {
    useEncryption: !!msg.use_encryption,
    useCompression: !!msg.use_compression,
    bandwidthLimit: msg.bandwidth_limit ?? "",
    bandwidthLimitMode: msg.bandwidth_limit_mode || "client",
  };
  o.loadBalancer = { group: msg.group ?? "" };
  switch (type) {
    case "tcp":
    case "udp":
      o.remotePort = msg.remote_port ?? 0;
      break;
    case "http":
      Object.assign(o, domainFields(msg));
      if (msg.locations && msg.locations.length > 0) o.locations = msg.locations;
      if (msg.host_header_rewrite) o.hostHeaderRewrite = msg.host_header_rewrite;
      break;
    case "https":
      Object.assign(o, domainFields(msg));
      break;
    case "tcpmux":
      Object.assign(o, domainFields(msg));
      if (msg.multiplexer) o.multiplexer = msg.multiplexer;
      if (msg.route_by_http_user) o.routeByHTTPUser = msg.route_by_http_user;
      break;
  }
  return o;
}

/** v1 ProxyStats (`/api/proxy/{type}`, `/api/proxies/{name}`). */
export function proxyStatsInfo(p: ProxyRecord, online: NewProxy | undefined): Json {
  const o: Json = { name: p.name, conf: online ? proxyConf(p.name, online) : null };
  if (p.user) o.user = p.user;
  if (p.clientID) o.clientID = p.clientID;
  return {
    ...o,
    todayTrafficIn: p.trafficIn.today(),
    todayTrafficOut: p.trafficOut.today(),
    curConns: p.curConns,
    lastStartTime: shortTime(p.lastStartTime),
    lastCloseTime: shortTime(p.lastCloseTime),
    status: online ? "online" : "offline",
  };
}

/** V2Proxy. */
export function v2Proxy(p: ProxyRecord, online: NewProxy | undefined): Json {
  const status: Json = {
    phase: online ? "online" : "offline",
    todayTrafficIn: p.trafficIn.today(),
    todayTrafficOut: p.trafficOut.today(),
    curConns: p.curConns,
  };
  if (p.lastStartTime > 0) status.lastStartAt = unix(p.lastStartTime);
  if (p.lastCloseTime > 0) status.lastCloseAt = unix(p.lastCloseTime);
  return {
    name: p.name,
    user: p.user,
    clientID: p.clientID,
    spec: { type: p.type, [p.type]: online ? proxySpec(online) : {} },
    status,
  };
}

/** ClientInfo. */
export function clientInfo(c: ClientRecord): Json {
  const o: Json = {
    key: c.key,
    user: c.user,
    clientID: c.rawClientID || c.runID,
    runID: c.runID,
  };
  if (c.version) o.version = c.version;
  if (c.wireProtocol) o.wireProtocol = c.wireProtocol;
  o.hostname = c.hostname;
  if (c.ip) o.clientIP = c.ip;
  o.firstConnectedAt = unix(c.firstConnectedAt);
  o.lastConnectedAt = unix(c.lastConnectedAt);
  if (c.disconnectedAt > 0) o.disconnectedAt = unix(c.disconnectedAt);
  o.online = c.online;
  return o;
}

/** `{name, unit, granularity, history}` of `/api/v2/proxies/{name}/traffic`, oldest first. */
export function v2Traffic(p: ProxyRecord): Json {
  const ins = p.trafficIn.history();
  const outs = p.trafficOut.history();
  const history = [];
  const now = new Date();
  for (let i = ins.length - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    history.push({
      date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      trafficIn: ins[i],
      trafficOut: outs[i],
    });
  }
  return { name: p.name, unit: "bytes", granularity: "day", history };
}
