/**
 * Legacy INI format (`[common]` + one section per proxy/visitor) → v1 model, following
 * frp's pkg/config/legacy (go-ini with IgnoreInlineComment and AllowBooleanKeys; values
 * that fail to parse silently keep their default, as go-ini's MapTo does).
 *
 * @module
 */

import { ConfigError } from "./errors.ts";
import { parsePortsRanges } from "./flags.ts";
import { parseNumberRange } from "./template/mod.ts";

export interface IniSection {
  name: string;
  keys: Map<string, string>;
}

/** true when the text is INI with a `[common]` section (frp's legacy detection). */
export function isLegacyIni(text: string): boolean {
  return /^[ \t]*\[[ \t]*common[ \t]*\][ \t]*$/m.test(text.replace(/\r/g, ""));
}

function unquoteIni(v: string): string {
  if (v.startsWith('"""')) {
    const e = v.indexOf('"""', 3);
    if (e > 0) return v.slice(3, e);
  }
  if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "`" && v.endsWith("`")))) {
    return v.slice(1, -1);
  }
  return v;
}

/** go-ini-like parser. Sections keep file order; duplicate keys: last wins. */
export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [{ name: "DEFAULT", keys: new Map() }];
  let cur = sections[0];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      const end = line.indexOf("]");
      if (end < 0) throw new ConfigError(`unclosed section: ${line}`);
      const name = line.slice(1, end).trim();
      const existing = sections.find((s) => s.name === name);
      if (existing) cur = existing;
      else {
        cur = { name, keys: new Map() };
        sections.push(cur);
      }
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) {
      cur.keys.set(line, "true"); // AllowBooleanKeys
      continue;
    }
    let value = m[2];
    if (value.startsWith('"""') && value.indexOf('"""', 3) < 0) {
      // multi-line triple-quoted value
      let acc = value.slice(3);
      while (++i < lines.length) {
        const e = lines[i].indexOf('"""');
        if (e >= 0) {
          acc += "\n" + lines[i].slice(0, e);
          break;
        }
        acc += "\n" + lines[i];
      }
      value = acc;
    } else value = unquoteIni(value);
    cur.keys.set(m[1].trim(), value);
  }
  return sections;
}

// ------------------------------------------------------------------ value helpers

type Obj = Record<string, unknown>;

function getStr(s: IniSection, k: string): string | undefined {
  const v = s.keys.get(k);
  return v === undefined || v === "" ? undefined : v;
}
function getInt(s: IniSection, k: string): number | undefined {
  const v = s.keys.get(k)?.trim();
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}
function getBool(s: IniSection, k: string): boolean | undefined {
  const v = s.keys.get(k)?.trim();
  if (v === undefined) return undefined;
  if (
    ["1", "t", "T", "true", "TRUE", "True", "YES", "yes", "Yes", "y", "ON", "on", "On"].includes(v)
  ) {
    return true;
  }
  if (
    ["0", "f", "F", "false", "FALSE", "False", "NO", "no", "No", "n", "OFF", "off", "Off"].includes(
      v,
    )
  ) {
    return false;
  }
  return undefined;
}
function getList(s: IniSection, k: string): string[] | undefined {
  const v = s.keys.get(k);
  if (v === undefined || v.trim() === "") return undefined;
  return v.split(",").map((x) => x.trim());
}
function prefixed(s: IniSection, prefix: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of s.keys) {
    if (k.startsWith(prefix)) {
      out[k.slice(prefix.length)] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Set a nested value (skipping undefined). */
function put(o: Obj, path: string, v: unknown) {
  if (v === undefined) return;
  const parts = path.split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    cur[p] = (cur[p] as Obj) ?? {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1]] = v;
}

function section(sections: IniSection[], name: string): IniSection | undefined {
  return sections.find((s) => s.name === name);
}

function authScopes(s: IniSection): string[] | undefined {
  const out: string[] = [];
  if (getBool(s, "authenticate_heartbeats")) out.push("HeartBeats");
  if (getBool(s, "authenticate_new_work_conns")) out.push("NewWorkConns");
  return out.length ? out : undefined;
}

function logTo(s: IniSection): string | undefined {
  return getStr(s, "log_file");
}

// ------------------------------------------------------------------ server

/** Convert a legacy frps INI to a decoded v1 server object (before defaults). */
export function convertLegacyServer(text: string, _file: string): Obj {
  const sections = parseIni(text);
  const c = section(sections, "common");
  if (!c) throw new ConfigError("section 'common' does not exist");
  const o: Obj = {};
  put(o, "auth.method", getStr(c, "authentication_method"));
  put(o, "auth.token", getStr(c, "token"));
  put(o, "auth.additionalScopes", authScopes(c));
  put(o, "auth.oidc.issuer", getStr(c, "oidc_issuer"));
  put(o, "auth.oidc.audience", getStr(c, "oidc_audience"));
  put(o, "auth.oidc.skipExpiryCheck", getBool(c, "oidc_skip_expiry_check"));
  put(o, "auth.oidc.skipIssuerCheck", getBool(c, "oidc_skip_issuer_check"));
  put(o, "bindAddr", getStr(c, "bind_addr"));
  put(o, "bindPort", getInt(c, "bind_port"));
  put(o, "kcpBindPort", getInt(c, "kcp_bind_port"));
  put(o, "quicBindPort", getInt(c, "quic_bind_port"));
  put(o, "transport.quic.keepalivePeriod", getInt(c, "quic_keepalive_period"));
  put(o, "transport.quic.maxIdleTimeout", getInt(c, "quic_max_idle_timeout"));
  put(o, "transport.quic.maxIncomingStreams", getInt(c, "quic_max_incoming_streams"));
  put(o, "proxyBindAddr", getStr(c, "proxy_bind_addr"));
  put(o, "vhostHTTPPort", getInt(c, "vhost_http_port"));
  put(o, "vhostHTTPSPort", getInt(c, "vhost_https_port"));
  put(o, "tcpmuxHTTPConnectPort", getInt(c, "tcpmux_httpconnect_port"));
  put(o, "tcpmuxPassthrough", getBool(c, "tcpmux_passthrough"));
  put(o, "vhostHTTPTimeout", getInt(c, "vhost_http_timeout"));
  put(o, "webServer.addr", getStr(c, "dashboard_addr") ?? "0.0.0.0");
  put(o, "webServer.port", getInt(c, "dashboard_port"));
  put(o, "webServer.user", getStr(c, "dashboard_user"));
  put(o, "webServer.password", getStr(c, "dashboard_pwd"));
  put(o, "webServer.assetsDir", getStr(c, "assets_dir"));
  if (getBool(c, "dashboard_tls_mode")) {
    put(o, "webServer.tls", {});
    put(o, "webServer.tls.certFile", getStr(c, "dashboard_tls_cert_file"));
    put(o, "webServer.tls.keyFile", getStr(c, "dashboard_tls_key_file"));
    put(o, "webServer.pprofEnable", getBool(c, "pprof_enable"));
  }
  put(o, "enablePrometheus", getBool(c, "enable_prometheus"));
  put(o, "log.to", logTo(c));
  put(o, "log.level", getStr(c, "log_level"));
  put(o, "log.maxDays", getInt(c, "log_max_days"));
  put(o, "log.disablePrintColor", getBool(c, "disable_log_color"));
  put(o, "detailedErrorsToClient", getBool(c, "detailed_errors_to_client"));
  put(o, "subDomainHost", getStr(c, "subdomain_host"));
  put(o, "custom404Page", getStr(c, "custom_404_page"));
  put(o, "userConnTimeout", getInt(c, "user_conn_timeout"));
  put(o, "udpPacketSize", getInt(c, "udp_packet_size"));
  put(o, "natholeAnalysisDataReserveHours", getInt(c, "nat_hole_analysis_data_reserve_hours"));
  put(o, "transport.tcpMux", getBool(c, "tcp_mux"));
  put(o, "transport.tcpMuxKeepaliveInterval", getInt(c, "tcp_mux_keepalive_interval"));
  put(o, "transport.tcpKeepalive", getInt(c, "tcp_keepalive"));
  put(o, "transport.maxPoolCount", getInt(c, "max_pool_count"));
  put(o, "transport.heartbeatTimeout", getInt(c, "heartbeat_timeout"));
  put(o, "transport.tls.force", getBool(c, "tls_only"));
  put(o, "transport.tls.certFile", getStr(c, "tls_cert_file"));
  put(o, "transport.tls.keyFile", getStr(c, "tls_key_file"));
  put(o, "transport.tls.trustedCaFile", getStr(c, "tls_trusted_ca_file"));
  put(o, "maxPortsPerClient", getInt(c, "max_ports_per_client"));
  const plugins: Obj[] = [];
  for (const s of sections) {
    if (!s.name.startsWith("plugin.")) continue;
    plugins.push({
      name: s.name.slice("plugin.".length).trim(),
      addr: s.keys.get("addr") ?? "",
      path: s.keys.get("path") ?? "",
      ops: getList(s, "ops") ?? [],
      tlsVerify: getBool(s, "tlsVerify") ?? false,
    });
  }
  if (plugins.length) o.httpPlugins = plugins;
  const ap = getStr(c, "allow_ports");
  if (ap) {
    try {
      o.allowPorts = parsePortsRanges(ap);
    } catch {
      // Go ignores the error here
    }
  }
  return o;
}

// ------------------------------------------------------------------ client

function convertPlugin(s: IniSection): Obj | undefined {
  const type = getStr(s, "plugin");
  if (!type) return undefined;
  const p = (k: string) => getStr(s, k);
  const headers = () => {
    const h = prefixed(s, "plugin_header_");
    return h ? { set: h } : undefined;
  };
  const o: Obj = { type };
  switch (type) {
    case "http2https":
      put(o, "localAddr", p("plugin_local_addr"));
      put(o, "hostHeaderRewrite", p("plugin_host_header_rewrite"));
      put(o, "requestHeaders", headers());
      break;
    case "http_proxy":
      put(o, "httpUser", p("plugin_http_user"));
      put(o, "httpPassword", p("plugin_http_passwd"));
      break;
    case "https2http":
    case "https2https":
      put(o, "localAddr", p("plugin_local_addr"));
      put(o, "hostHeaderRewrite", p("plugin_host_header_rewrite"));
      put(o, "requestHeaders", headers());
      put(o, "crtPath", p("plugin_crt_path"));
      put(o, "keyPath", p("plugin_key_path"));
      break;
    case "socks5":
      put(o, "username", p("plugin_user"));
      put(o, "password", p("plugin_passwd"));
      break;
    case "static_file":
      put(o, "localPath", p("plugin_local_path"));
      put(o, "stripPrefix", p("plugin_strip_prefix"));
      put(o, "httpUser", p("plugin_http_user"));
      put(o, "httpPassword", p("plugin_http_passwd"));
      break;
    case "unix_domain_socket":
      put(o, "unixPath", p("plugin_unix_path"));
      break;
  }
  return o;
}

const LEGACY_PROXY_TYPES = ["tcp", "udp", "http", "https", "tcpmux", "stcp", "sudp", "xtcp"];
const LEGACY_VISITOR_TYPES = ["stcp", "sudp", "xtcp"];

function convertProxy(name: string, s: IniSection): Obj {
  const type = getStr(s, "type") ?? "tcp";
  if (!LEGACY_PROXY_TYPES.includes(type)) {
    throw new ConfigError(`failed to parse proxy ${name}, err: invalid type [${type}]`);
  }
  const o: Obj = { name, type };
  put(o, "metadatas", prefixed(s, "meta_"));
  put(o, "transport.useEncryption", getBool(s, "use_encryption"));
  put(o, "transport.useCompression", getBool(s, "use_compression"));
  put(o, "transport.bandwidthLimit", getStr(s, "bandwidth_limit"));
  put(o, "transport.bandwidthLimitMode", getStr(s, "bandwidth_limit_mode"));
  put(o, "transport.proxyProtocolVersion", getStr(s, "proxy_protocol_version"));
  const group = getStr(s, "group");
  const groupKey = getStr(s, "group_key");
  if (group !== undefined || groupKey !== undefined) {
    o.loadBalancer = { group: group ?? "" };
    put(o, "loadBalancer.groupKey", groupKey);
  }
  const hc = getStr(s, "health_check_type");
  if (hc !== undefined) {
    o.healthCheck = { type: hc };
    put(o, "healthCheck.timeoutSeconds", getInt(s, "health_check_timeout_s"));
    put(o, "healthCheck.maxFailed", getInt(s, "health_check_max_failed"));
    put(o, "healthCheck.intervalSeconds", getInt(s, "health_check_interval_s"));
    put(o, "healthCheck.path", getStr(s, "health_check_url"));
  }
  put(o, "localIP", getStr(s, "local_ip"));
  put(o, "localPort", getInt(s, "local_port"));
  put(o, "plugin", convertPlugin(s));
  switch (type) {
    case "tcp":
    case "udp":
      put(o, "remotePort", getInt(s, "remote_port"));
      break;
    case "http":
      put(o, "customDomains", getList(s, "custom_domains"));
      put(o, "subdomain", getStr(s, "subdomain"));
      put(o, "locations", getList(s, "locations"));
      put(o, "httpUser", getStr(s, "http_user"));
      put(o, "httpPassword", getStr(s, "http_pwd"));
      put(o, "hostHeaderRewrite", getStr(s, "host_header_rewrite"));
      {
        const h = prefixed(s, "header_");
        if (h) o.requestHeaders = { set: h };
      }
      put(o, "routeByHTTPUser", getStr(s, "route_by_http_user"));
      break;
    case "https":
      put(o, "customDomains", getList(s, "custom_domains"));
      put(o, "subdomain", getStr(s, "subdomain"));
      break;
    case "tcpmux":
      put(o, "customDomains", getList(s, "custom_domains"));
      put(o, "subdomain", getStr(s, "subdomain"));
      put(o, "httpUser", getStr(s, "http_user"));
      put(o, "httpPassword", getStr(s, "http_pwd"));
      put(o, "routeByHTTPUser", getStr(s, "route_by_http_user"));
      put(o, "multiplexer", getStr(s, "multiplexer"));
      break;
    default:
      put(o, "secretKey", getStr(s, "sk"));
      put(o, "allowUsers", getList(s, "allow_users"));
  }
  return o;
}

function convertVisitor(name: string, s: IniSection): Obj {
  const type = getStr(s, "type") ?? "";
  if (!LEGACY_VISITOR_TYPES.includes(type)) {
    throw new ConfigError(`failed to parse visitor ${name}, err: visitor [${name}] type error`);
  }
  const o: Obj = { name, type };
  put(o, "transport.useEncryption", getBool(s, "use_encryption"));
  put(o, "transport.useCompression", getBool(s, "use_compression"));
  put(o, "secretKey", getStr(s, "sk"));
  put(o, "serverUser", getStr(s, "server_user"));
  put(o, "serverName", getStr(s, "server_name"));
  put(o, "bindAddr", getStr(s, "bind_addr"));
  put(o, "bindPort", getInt(s, "bind_port"));
  if (type === "xtcp") {
    put(o, "protocol", getStr(s, "protocol"));
    put(o, "keepTunnelOpen", getBool(s, "keep_tunnel_open"));
    put(o, "maxRetriesAnHour", getInt(s, "max_retries_an_hour"));
    put(o, "minRetryInterval", getInt(s, "min_retry_interval"));
    put(o, "fallbackTo", getStr(s, "fallback_to"));
    put(o, "fallbackTimeoutMs", getInt(s, "fallback_timeout_ms"));
  }
  return o;
}

/** Convert a legacy frpc INI to a decoded v1 client object (common + proxies + visitors). */
export function convertLegacyClient(text: string, _file: string): Obj {
  const sections = parseIni(text);
  const c = section(sections, "common");
  if (!c) throw new ConfigError("invalid configuration file, not found [common] section");
  const o: Obj = {};
  put(o, "user", getStr(c, "user"));
  put(o, "auth.method", getStr(c, "authentication_method"));
  put(o, "auth.token", getStr(c, "token"));
  put(o, "auth.additionalScopes", authScopes(c));
  put(o, "auth.oidc.clientID", getStr(c, "oidc_client_id"));
  put(o, "auth.oidc.clientSecret", getStr(c, "oidc_client_secret"));
  put(o, "auth.oidc.audience", getStr(c, "oidc_audience"));
  put(o, "auth.oidc.scope", getStr(c, "oidc_scope"));
  put(o, "auth.oidc.tokenEndpointURL", getStr(c, "oidc_token_endpoint_url"));
  put(o, "auth.oidc.additionalEndpointParams", prefixed(c, "oidc_additional_"));
  put(o, "serverAddr", getStr(c, "server_addr"));
  put(o, "serverPort", getInt(c, "server_port"));
  put(o, "natHoleStunServer", getStr(c, "nat_hole_stun_server"));
  put(o, "transport.dialServerTimeout", getInt(c, "dial_server_timeout"));
  put(o, "transport.dialServerKeepalive", getInt(c, "dial_server_keepalive"));
  put(o, "transport.connectServerLocalIP", getStr(c, "connect_server_local_ip"));
  put(o, "transport.proxyURL", getStr(c, "http_proxy"));
  put(o, "transport.poolCount", getInt(c, "pool_count"));
  put(o, "transport.tcpMux", getBool(c, "tcp_mux"));
  put(o, "transport.tcpMuxKeepaliveInterval", getInt(c, "tcp_mux_keepalive_interval"));
  put(o, "transport.protocol", getStr(c, "protocol"));
  put(o, "transport.heartbeatInterval", getInt(c, "heartbeat_interval"));
  put(o, "transport.heartbeatTimeout", getInt(c, "heartbeat_timeout"));
  put(o, "transport.quic.keepalivePeriod", getInt(c, "quic_keepalive_period"));
  put(o, "transport.quic.maxIdleTimeout", getInt(c, "quic_max_idle_timeout"));
  put(o, "transport.quic.maxIncomingStreams", getInt(c, "quic_max_incoming_streams"));
  put(o, "transport.tls.enable", getBool(c, "tls_enable"));
  put(o, "transport.tls.disableCustomTLSFirstByte", getBool(c, "disable_custom_tls_first_byte"));
  put(o, "transport.tls.certFile", getStr(c, "tls_cert_file"));
  put(o, "transport.tls.keyFile", getStr(c, "tls_key_file"));
  put(o, "transport.tls.trustedCaFile", getStr(c, "tls_trusted_ca_file"));
  put(o, "transport.tls.serverName", getStr(c, "tls_server_name"));
  put(o, "log.to", logTo(c));
  put(o, "log.level", getStr(c, "log_level"));
  put(o, "log.maxDays", getInt(c, "log_max_days"));
  put(o, "log.disablePrintColor", getBool(c, "disable_log_color"));
  put(o, "webServer.addr", getStr(c, "admin_addr"));
  put(o, "webServer.port", getInt(c, "admin_port"));
  put(o, "webServer.user", getStr(c, "admin_user"));
  put(o, "webServer.password", getStr(c, "admin_pwd"));
  put(o, "webServer.assetsDir", getStr(c, "assets_dir"));
  put(o, "webServer.pprofEnable", getBool(c, "pprof_enable"));
  put(o, "dnsServer", getStr(c, "dns_server"));
  put(o, "loginFailExit", getBool(c, "login_fail_exit"));
  put(o, "start", getList(c, "start"));
  put(o, "udpPacketSize", getInt(c, "udp_packet_size"));
  put(o, "metadatas", prefixed(c, "meta_"));
  put(o, "includes", getList(c, "includes"));

  const start = new Set((o.start as string[] | undefined) ?? []);
  const all: IniSection[] = [];
  for (const s of sections) {
    if (!s.name.startsWith("range:")) {
      all.push(s);
      continue;
    }
    // [range:name] expands into name_0, name_1, … (behaviour §16.1)
    try {
      const lp = s.keys.get("local_port") ?? "";
      const rp = s.keys.get("remote_port") ?? "";
      if (lp === "" || rp === "") throw new Error("local_port or remote_port is empty");
      const l = parseNumberRange(lp);
      const r = parseNumberRange(rp);
      if (l.length !== r.length) {
        throw new Error("local ports number should be same with remote ports number");
      }
      if (l.length === 0) throw new Error("local_port and remote_port is necessary");
      const prefix = s.name.slice("range:".length).trim();
      l.forEach((lpn, i) => {
        const keys = new Map(s.keys);
        keys.set("local_port", String(lpn));
        keys.set("remote_port", String(r[i]));
        all.push({ name: `${prefix}_${i}`, keys });
      });
    } catch (e) {
      throw new ConfigError(
        `failed to render template for proxy ${s.name}: ${(e as Error).message}`,
      );
    }
  }
  const proxies: Obj[] = [];
  const visitors: Obj[] = [];
  for (const s of all) {
    if (s.name === "DEFAULT" || s.name === "common") continue;
    if (start.size > 0 && !start.has(s.name)) continue;
    const role = getStr(s, "role") ?? "server";
    if (role === "server") proxies.push(convertProxy(s.name, s));
    else if (role === "visitor") visitors.push(convertVisitor(s.name, s));
    else throw new ConfigError(`proxy ${s.name} role should be 'server' or 'visitor'`);
  }
  o.proxies = proxies;
  o.visitors = visitors;
  return o;
}
