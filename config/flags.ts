/**
 * frps command-line flags (used only when no `-c` is given) → config input (behaviour §13.1).
 *
 * @module
 */

import type { PortsRange, ServerConfigInput } from "./types.ts";
import { parseNumberRange } from "./template/mod.ts";

function num(v: string | boolean | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !/^-?\d+$/.test(v.trim())) {
    throw new Error(
      `invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`,
    );
  }
  return n;
}

function bool(v: string | boolean | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "boolean") return v;
  return ["1", "t", "T", "TRUE", "true", "True"].includes(v);
}

/** Parse "1000-2000,3001" into allowPorts entries. */
export function parsePortsRanges(s: string): PortsRange[] {
  const out: PortsRange[] = [];
  for (const part of s.split(",")) {
    const t = part.trim();
    if (!t) continue;
    const nums = t.split("-");
    parseNumberRange(t); // validates
    if (nums.length === 1) out.push({ single: Number(nums[0].trim()) });
    else out.push({ start: Number(nums[0].trim()), end: Number(nums[1].trim()) });
  }
  return out;
}

/**
 * Map frps flags to a config. Keys may use `_` or `-` (`bind_port`, `bind-port`) and the short
 * aliases `p` (bind_port) and `t` (token).
 */
export function serverConfigFromFlags(flags: Record<string, string | boolean>): ServerConfigInput {
  const f: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(flags)) f[k.replace(/-/g, "_")] = v;
  if (f.p !== undefined && f.bind_port === undefined) f.bind_port = f.p;
  if (f.t !== undefined && f.token === undefined) f.token = f.t;
  const str = (k: string) => (typeof f[k] === "string" ? f[k] as string : undefined);
  const cfg: ServerConfigInput = {
    bindAddr: str("bind_addr") ?? "0.0.0.0",
    bindPort: num(f.bind_port, "bind_port") ?? 7000,
    kcpBindPort: num(f.kcp_bind_port, "kcp_bind_port") ?? 0,
    quicBindPort: num(f.quic_bind_port, "quic_bind_port") ?? 0,
    proxyBindAddr: str("proxy_bind_addr") ?? "0.0.0.0",
    vhostHTTPPort: num(f.vhost_http_port, "vhost_http_port") ?? 0,
    vhostHTTPSPort: num(f.vhost_https_port, "vhost_https_port") ?? 0,
    vhostHTTPTimeout: num(f.vhost_http_timeout, "vhost_http_timeout") ?? 60,
    webServer: {
      addr: str("dashboard_addr") ?? "0.0.0.0",
      port: num(f.dashboard_port, "dashboard_port") ?? 0,
      user: str("dashboard_user") ?? "admin",
      password: str("dashboard_pwd") ?? "admin",
    },
    enablePrometheus: bool(f.enable_prometheus) ?? false,
    log: {
      to: str("log_file") ?? "console",
      level: str("log_level") ?? "info",
      maxDays: num(f.log_max_days, "log_max_days") ?? 3,
      disablePrintColor: bool(f.disable_log_color) ?? false,
    },
    auth: { token: str("token") ?? "" },
    subDomainHost: str("subdomain_host") ?? "",
    maxPortsPerClient: num(f.max_ports_per_client, "max_ports_per_client") ?? 0,
    transport: { tls: { force: bool(f.tls_only) ?? false } },
  };
  if (str("allow_ports")) cfg.allowPorts = parsePortsRanges(str("allow_ports")!);
  const cert = str("dashboard_tls_cert_file");
  const key = str("dashboard_tls_key_file");
  // Quirk (Go): --dashboard_tls_mode never enables TLS; the cert/key flags are kept but unused.
  if (cert || key) {
    (cfg as Record<string, unknown>).__dashboardTLSFiles = { certFile: cert, keyFile: key };
    delete (cfg as Record<string, unknown>).__dashboardTLSFiles;
  }
  return cfg;
}
