/**
 * Validation rules of frp v1 (pkg/config/v1/validation), with frp's error texts.
 *
 * @module
 */

import type {
  ClientCommonConfig,
  ClientPluginOptions,
  LogConfig,
  ProxyConfig,
  ServerConfig,
  ServerUserConfig,
  ValueSource,
  VisitorConfig,
  WebServerConfig,
} from "./types.ts";
import { PROXY_TYPES } from "./types.ts";
import { parseCidr } from "../protocol/cidr.ts";
import { validateInspector } from "./inspector.ts";

export interface ValidationResult {
  errors: string[];
  warnings: string[];
}

export const SUPPORTED_AUTH_METHODS = ["token", "oidc"];
export const SUPPORTED_SCOPES = ["HeartBeats", "NewWorkConns"];
export const SUPPORTED_LOG_LEVELS = ["trace", "debug", "info", "warn", "error"];
export const SUPPORTED_PROTOCOLS = ["tcp", "kcp", "quic", "websocket", "wss"];
export const SUPPORTED_WIRE_PROTOCOLS = ["v1", "v2"];
export const SUPPORTED_PLUGIN_OPS = [
  "Login",
  "NewProxy",
  "CloseProxy",
  "Ping",
  "NewWorkConn",
  "NewUserConn",
];
export const KNOWN_FEATURE_GATES = ["VirtualNet"];
export const KNOWN_UNSAFE_FEATURES = ["TokenSourceExec"];

const list = (a: string[]) => `[${a.join(" ")}]`;

export function validatePort(port: number, field: string): string | undefined {
  if (port < 0 || port > 65535) {
    return `${field}: port number ${port} must be in the range 0..65535`;
  }
  return undefined;
}

function validateLog(c: LogConfig): string[] {
  if (!SUPPORTED_LOG_LEVELS.includes(c.level)) {
    return [`invalid log level, optional values are ${list(SUPPORTED_LOG_LEVELS)}`];
  }
  return [];
}

function validateWebServer(c: WebServerConfig): string[] {
  const errs: string[] = [];
  if (c.tls) {
    if (!c.tls.certFile) errs.push("tls.certFile must be specified when tls is enabled");
    if (!c.tls.keyFile) errs.push("tls.keyFile must be specified when tls is enabled");
  }
  const p = validatePort(c.port, "webServer.port");
  if (p) errs.push(p);
  return errs;
}

export function validateValueSource(v: ValueSource): string | undefined {
  switch (v.type) {
    case "file":
      if (!v.file) return "file configuration is required when type is 'file'";
      if (!v.file.path) return "file path cannot be empty";
      return undefined;
    case "exec":
      if (!v.exec) return "exec configuration is required when type is 'exec'";
      if (!v.exec.command) return "exec command cannot be empty";
      return undefined;
    default:
      return `unsupported value source type: ${v.type} (only 'file' and 'exec' are supported)`;
  }
}

const unsafeText = (f: string) =>
  `unsafe feature "${f}" is not enabled. To enable it, ensure it is allowed in the configuration or command line flags`;

function validateAuth(
  a: {
    method: string;
    additionalScopes: string[];
    token: string;
    tokenSource?: ValueSource;
    oidc: Record<string, unknown>;
  },
  allowUnsafe: string[],
  client: boolean,
): string[] {
  const errs: string[] = [];
  if (!SUPPORTED_AUTH_METHODS.includes(a.method)) {
    errs.push(`invalid auth method, optional values are ${list(SUPPORTED_AUTH_METHODS)}`);
  }
  if (!a.additionalScopes.every((s) => SUPPORTED_SCOPES.includes(s))) {
    errs.push(`invalid auth additional scopes, optional values are ${list(SUPPORTED_SCOPES)}`);
  }
  if (a.token !== "" && a.tokenSource) {
    errs.push("cannot specify both auth.token and auth.tokenSource");
  }
  if (a.tokenSource) {
    if (a.tokenSource.type === "exec" && !allowUnsafe.includes("TokenSourceExec")) {
      errs.push(unsafeText("TokenSourceExec"));
    }
    const e = validateValueSource(a.tokenSource);
    if (e) errs.push(`invalid auth.tokenSource: ${e}`);
  }
  if (client) {
    const o = a.oidc as Record<string, unknown> & { tokenSource?: ValueSource };
    if (o.tokenSource) {
      const others = ["clientID", "clientSecret", "audience", "scope", "tokenEndpointURL"]
        .some((k) => !!o[k]) ||
        Object.keys((o.additionalEndpointParams as object) ?? {}).length > 0 ||
        !!o.trustedCaFile || !!o.insecureSkipVerify || !!o.proxyURL;
      if (others) {
        errs.push("cannot specify both auth.oidc.tokenSource and any other field of auth.oidc");
      }
      if (o.tokenSource.type === "exec" && !allowUnsafe.includes("TokenSourceExec")) {
        errs.push(unsafeText("TokenSourceExec"));
      }
      const e = validateValueSource(o.tokenSource);
      if (e) errs.push(`invalid auth.oidc.tokenSource: ${e}`);
    }
  }
  return errs;
}

/** frps config validation. */
export function validateServer(c: ServerConfig, allowUnsafe: string[] = []): ValidationResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  errors.push(...validateAuth(c.auth, allowUnsafe, false));
  errors.push(...validateLog(c.log));
  errors.push(...validateWebServer(c.webServer));
  const inspector = validateInspector(c.inspector, c.webServer.port > 0);
  errors.push(...inspector.errors);
  warnings.push(...inspector.warnings);
  for (
    const [v, name] of [
      [c.bindPort, "bindPort"],
      [c.kcpBindPort, "kcpBindPort"],
      [c.quicBindPort, "quicBindPort"],
      [c.vhostHTTPPort, "vhostHTTPPort"],
      [c.vhostHTTPSPort, "vhostHTTPSPort"],
      [c.tcpmuxHTTPConnectPort, "tcpMuxHTTPConnectPort"],
    ] as [number, string][]
  ) {
    const e = validatePort(v, name);
    if (e) errors.push(e);
  }
  errors.push(...validateUsers(c.auth.users, c.auth.method));
  for (const p of c.httpPlugins) {
    if (!p.ops.every((o) => SUPPORTED_PLUGIN_OPS.includes(o))) {
      errors.push(`invalid plugin ops, optional values are ${list(SUPPORTED_PLUGIN_OPS)}`);
    }
  }
  return { errors, warnings };
}

/** `[[auth.users]]` (beyond Go frp): names, credentials per method, types, CIDRs, limits. */
function validateUsers(users: ServerUserConfig[], method: string): string[] {
  const errs: string[] = [];
  const seen = new Set<string>();
  for (const [i, u] of users.entries()) {
    const at = `auth.users[${u.user || i}]`;
    if (!u.user) errs.push(`auth.users[${i}]: user is required`);
    else if (seen.has(u.user)) errs.push(`auth.users: duplicate user [${u.user}]`);
    seen.add(u.user);
    if (method === "token" && !u.token) {
      errs.push(`${at}: token is required with auth.method "token"`);
    }
    if (method === "oidc" && u.token) {
      errs.push(`${at}: token needs auth.method "token" (use oidcSubject)`);
    }
    if (method !== "oidc" && u.oidcSubject) {
      errs.push(`${at}: oidcSubject needs auth.method "oidc"`);
    }
    for (const t of u.proxyTypes) {
      if (!(PROXY_TYPES as readonly string[]).includes(t)) {
        errs.push(
          `${at}: invalid proxy type [${t}], optional values are ${list([...PROXY_TYPES])}`,
        );
      }
    }
    for (const c of [...u.loginAllowIPs, ...u.userConnAllowIPs]) {
      if (!parseCidr(c)) errs.push(`${at}: invalid CIDR or IP [${c}]`);
    }
    for (
      const [k, v] of [["maxProxies", u.maxProxies], ["maxConnections", u.maxConnections], [
        "connRateLimit",
        u.connRateLimit,
      ]] as const
    ) {
      if (v < 0) errs.push(`${at}: ${k} must not be negative`);
    }
    if (u.bandwidthLimit) {
      const e = bandwidthError(u.bandwidthLimit);
      if (e) errs.push(`${at}: bandwidthLimit: ${e}`);
    }
  }
  return errs;
}

/** frpc common config validation (`includeDirExists` checks include directories). */
export function validateClientCommon(
  c: ClientCommonConfig,
  allowUnsafe: string[] = [],
  includeDirExists?: (pattern: string) => boolean,
): ValidationResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const g of Object.keys(c.featureGates)) {
    if (!KNOWN_FEATURE_GATES.includes(g)) errors.push(`unrecognized feature gate: ${g}`);
  }
  if (c.virtualNet.address && !c.featureGates["VirtualNet"]) {
    errors.push(
      "VirtualNet feature is not enabled; enable it by setting the appropriate feature gate flag",
    );
  }
  errors.push(...validateAuth(c.auth, allowUnsafe, true));
  errors.push(...validateLog(c.log));
  errors.push(...validateWebServer(c.webServer));
  const t = c.transport;
  if (
    t.heartbeatTimeout > 0 && t.heartbeatInterval > 0 && t.heartbeatTimeout < t.heartbeatInterval
  ) {
    errors.push(
      "invalid transport.heartbeatTimeout, heartbeat timeout should not less than heartbeat interval",
    );
  }
  if (!t.tls.enable) {
    for (const k of ["certFile", "keyFile", "trustedCaFile"] as const) {
      if (t.tls[k]) {
        warnings.push(`transport.tls.${k} is invalid when transport.tls.enable is false`);
      }
    }
  }
  if (!SUPPORTED_PROTOCOLS.includes(t.protocol)) {
    errors.push(`invalid transport.protocol, optional values are ${list(SUPPORTED_PROTOCOLS)}`);
  }
  if (!SUPPORTED_WIRE_PROTOCOLS.includes(t.wireProtocol)) {
    errors.push(
      `invalid transport.wireProtocol, optional values are ${list(SUPPORTED_WIRE_PROTOCOLS)}`,
    );
  }
  if (includeDirExists) {
    for (const f of c.includes) {
      if (!includeDirExists(f)) errors.push(`include: directory of ${f} not exist`);
    }
  }
  return { errors, warnings };
}

/** Client plugin option rules; returns the error text or undefined. */
export function validateClientPlugin(
  p: ClientPluginOptions,
  featureGates: Record<string, boolean> = {},
): string | undefined {
  switch (p.type) {
    case "http2https":
    case "https2http":
    case "https2https":
    case "tls2raw":
      if (!p.localAddr) return "localAddr is required";
      return undefined;
    case "static_file":
      if (!p.localPath) return "localPath is required";
      return undefined;
    case "unix_domain_socket":
      if (!p.unixPath) return "unixPath is required";
      return undefined;
    case "virtual_net":
      // Go validates the gate only for `virtualNet.address`; the plugin fails at runtime.
      void featureGates;
      return undefined;
    default:
      return undefined;
  }
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes IsQualifiedName, returning error texts. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name = value;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else {
      if (prefix.length > 253) errs.push("prefix part must be no more than 253 characters");
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        errs.push(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        );
      }
    }
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (!QUALIFIED_NAME_PART.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return errs;
}

function validateAnnotations(a: Record<string, string> | undefined): string | undefined {
  if (!a || Object.keys(a).length === 0) return undefined;
  const errs: string[] = [];
  let size = 0;
  const enc = new TextEncoder();
  for (const [k, v] of Object.entries(a)) {
    for (const m of qualifiedNameErrors(k.toLowerCase())) {
      errs.push(`annotation key ${k} is invalid: ${m}`);
    }
    size += enc.encode(k).length + enc.encode(v).length;
  }
  if (size > 256 * 1024) errs.push(`annotations size ${size} is larger than limit ${256 * 1024}`);
  return errs.length ? errs.join("\n") : undefined;
}

/** Validate one completed proxy (client side). Returns the error text (without the name prefix). */
export function validateProxy(
  c: ProxyConfig,
  featureGates: Record<string, boolean> = {},
): string | undefined {
  if (!c.name) return "name should not be empty";
  const a = validateAnnotations(c.annotations);
  if (a) return a;
  const ppv = c.transport.proxyProtocolVersion ?? "";
  if (!["", "v1", "v2"].includes(ppv)) return `not support proxy protocol version: ${ppv}`;
  if (!["client", "server"].includes(c.transport.bandwidthLimitMode)) {
    return "bandwidth limit mode should be client or server";
  }
  if (c.transport.bandwidthLimit) {
    const e = bandwidthError(c.transport.bandwidthLimit);
    if (e) return e;
  }
  if (!c.plugin) {
    const e = validatePort(c.localPort ?? 0, "localPort");
    if (e) return `localPort: ${e}`;
  }
  const hc = c.healthCheck?.type ?? "";
  if (!["", "tcp", "http"].includes(hc)) return `not support health check type: ${hc}`;
  if (hc === "http" && !c.healthCheck?.path) return "health check path should not be empty";
  if (c.plugin) {
    const e = validateClientPlugin(c.plugin, featureGates);
    if (e) return `plugin ${c.plugin.type}: ${e}`;
  }
  switch (c.type) {
    case "http":
    case "https":
    case "tcpmux":
      if (!c.subdomain && (c.customDomains ?? []).length === 0) {
        return "subdomain and custom domains should not be both empty";
      }
      if (c.type === "tcpmux" && c.multiplexer !== "httpconnect") {
        return `not support multiplexer: ${c.multiplexer ?? ""}`;
      }
  }
  return undefined;
}

/** Validate one completed visitor. Returns the error text (without the name prefix). */
export function validateVisitor(c: VisitorConfig): string | undefined {
  if (!c.name) return "name is required";
  if (!c.serverName) return "server name is required";
  if (c.bindPort === 0) return "bind port is required";
  if (c.type === "xtcp" && !["kcp", "quic"].includes(c.protocol)) {
    return "protocol should be kcp or quic";
  }
  if (c.plugin?.type === "virtual_net") {
    if (!c.plugin.destinationIP) return "virtual_net plugin: destinationIP is required";
  }
  return undefined;
}

/** Parse a bandwidth quantity ("1MB", "512KB") into bytes/s; throws "unit not support". */
export function parseBandwidth(s: string): number {
  const t = s.trim();
  if (t === "") return 0;
  let base: number;
  if (t.endsWith("MB")) base = 1024 * 1024;
  else if (t.endsWith("KB")) base = 1024;
  else throw new Error("unit not support");
  const num = t.slice(0, -2);
  const f = Number(num);
  if (num.trim() === "" || !Number.isFinite(f)) {
    throw new Error(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  }
  return Math.trunc(f * base);
}

function bandwidthError(s: string): string | undefined {
  try {
    parseBandwidth(s);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
