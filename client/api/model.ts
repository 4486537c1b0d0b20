/**
 * JSON shapes of the frpc admin API (frp's client/http/model, behaviour.md §12): the
 * `/api/status` ProxyStatus rows and Go's JSON of proxy/visitor configs (`omitempty` rules).
 *
 * @module
 */
import type { ClientConfig, ProxyConfig, VisitorConfig } from "../../config/types.ts";
import type { ProxyStatus } from "../proxy_manager.ts";

type Json = Record<string, unknown>;

/** Proxy types in the order `frpc status` prints them. */
export const STATUS_TYPE_ORDER = ["tcp", "udp", "tcpmux", "http", "https", "stcp", "sudp", "xtcp"];

/** One `/api/status` row. */
export interface StatusRow {
  name: string;
  type: string;
  status: string;
  err: string;
  local_addr: string;
  plugin: string;
  remote_addr: string;
  /** "store" for proxies from the store (Go: omitempty). */
  source?: string;
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `{"<type>": [rows sorted by name]}` as frpc's `/api/status` answers. */
export function statusJson(
  cfg: ClientConfig,
  configs: ProxyConfig[],
  statuses: ProxyStatus[],
  isStore: (name: string) => boolean = () => false,
): Record<string, StatusRow[]> {
  const byName = new Map(configs.map((c) => [c.name, c]));
  const out: Record<string, StatusRow[]> = {};
  for (const s of statuses) {
    const c = byName.get(s.name);
    const row: StatusRow = {
      name: s.name,
      type: s.type,
      status: s.phase,
      err: s.err,
      local_addr: c?.localPort ? hostPort(c.localIP, c.localPort) : "",
      plugin: c?.plugin?.type ?? "",
      remote_addr: "",
    };
    if (s.err === "") {
      row.remote_addr = s.type === "tcp" || s.type === "udp"
        ? cfg.serverAddr + s.remoteAddr
        : s.remoteAddr;
    }
    if (isStore(s.name)) row.source = "store";
    (out[s.type] ??= []).push(row);
  }
  for (const rows of Object.values(out)) rows.sort((a, b) => (a.name < b.name ? -1 : 1));
  const sorted: Record<string, StatusRow[]> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

/** frp's status table (rodaine/table): every cell left-aligned, padded to width + 2. */
export function statusTable(status: Record<string, StatusRow[]>): string {
  let text = "Proxy Status...\n\n";
  for (const type of STATUS_TYPE_ORDER) {
    const rows = status[type];
    if (!rows || rows.length === 0) continue;
    text += type.toUpperCase() + "\n";
    const cells = [
      ["Name", "Status", "LocalAddr", "Plugin", "RemoteAddr", "Error"],
      ...rows.map((r) => [r.name, r.status, r.local_addr, r.plugin, r.remote_addr, r.err]),
    ];
    const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
    for (const r of cells) {
      text += r.map((c, i) => c + " ".repeat(widths[i] + 2 - [...c].length)).join("") + "\n";
    }
    text += "\n";
  }
  return text;
}

const put = (o: Json, k: string, v: unknown): void => {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === "object" && !Array.isArray(v) && Object.keys(v as Json).length === 0) return;
  o[k] = v;
};

function headerOps(h?: { set?: Record<string, string> }): Json {
  const o: Json = {};
  put(o, "set", h?.set);
  return o;
}

/** Go's JSON of a completed client proxy config (v1.*ProxyConfig). */
export function proxyConfigJson(c: ProxyConfig): Json {
  const o: Json = { name: c.name, type: c.type };
  put(o, "annotations", c.annotations);
  const t: Json = {};
  put(t, "useEncryption", c.transport.useEncryption);
  put(t, "useCompression", c.transport.useCompression);
  t.bandwidthLimit = c.transport.bandwidthLimit ?? "";
  put(t, "bandwidthLimitMode", c.transport.bandwidthLimitMode);
  put(t, "proxyProtocolVersion", c.transport.proxyProtocolVersion);
  o.transport = t;
  put(o, "metadatas", c.metadatas);
  const lb: Json = { group: c.loadBalancer?.group ?? "" };
  put(lb, "groupKey", c.loadBalancer?.groupKey);
  o.loadBalancer = lb;
  const hc = c.healthCheck;
  const h: Json = { type: hc?.type ?? "" };
  put(h, "timeoutSeconds", hc?.timeoutSeconds);
  put(h, "maxFailed", hc?.maxFailed);
  h.intervalSeconds = hc?.intervalSeconds ?? 0;
  put(h, "path", hc?.path);
  put(h, "httpHeaders", hc?.httpHeaders);
  o.healthCheck = h;
  put(o, "localIP", c.localIP);
  put(o, "localPort", c.localPort);
  o.plugin = c.plugin ?? null;
  switch (c.type) {
    case "tcp":
    case "udp":
      put(o, "remotePort", c.remotePort);
      break;
    case "http":
      put(o, "customDomains", c.customDomains);
      put(o, "subdomain", c.subdomain);
      put(o, "locations", c.locations);
      put(o, "httpUser", c.httpUser);
      put(o, "httpPassword", c.httpPassword);
      put(o, "hostHeaderRewrite", c.hostHeaderRewrite);
      o.requestHeaders = headerOps(c.requestHeaders);
      o.responseHeaders = headerOps(c.responseHeaders);
      put(o, "routeByHTTPUser", c.routeByHTTPUser);
      break;
    case "https":
      put(o, "customDomains", c.customDomains);
      put(o, "subdomain", c.subdomain);
      break;
    case "tcpmux":
      put(o, "customDomains", c.customDomains);
      put(o, "subdomain", c.subdomain);
      put(o, "httpUser", c.httpUser);
      put(o, "httpPassword", c.httpPassword);
      put(o, "routeByHTTPUser", c.routeByHTTPUser);
      put(o, "multiplexer", c.multiplexer);
      break;
    case "stcp":
    case "sudp":
    case "xtcp":
      put(o, "secretKey", c.secretKey);
      put(o, "allowUsers", c.allowUsers);
      if (c.type === "xtcp" && c.natTraversal) {
        const n: Json = {};
        put(n, "disableAssistedAddrs", c.natTraversal.disableAssistedAddrs);
        o.natTraversal = n;
      }
      break;
  }
  return o;
}

/** Go's JSON of a completed visitor config (v1.*VisitorConfig). */
export function visitorConfigJson(c: VisitorConfig): Json {
  const o: Json = { name: c.name, type: c.type };
  const t: Json = {};
  put(t, "useEncryption", c.transport.useEncryption);
  put(t, "useCompression", c.transport.useCompression);
  o.transport = t;
  put(o, "secretKey", c.secretKey);
  put(o, "serverUser", c.serverUser);
  put(o, "serverName", c.serverName);
  put(o, "bindAddr", c.bindAddr);
  put(o, "bindPort", c.bindPort);
  o.plugin = c.plugin ?? null;
  if (c.type === "xtcp") {
    put(o, "protocol", c.protocol);
    put(o, "keepTunnelOpen", c.keepTunnelOpen);
    put(o, "maxRetriesAnHour", c.maxRetriesAnHour);
    put(o, "minRetryInterval", c.minRetryInterval);
    put(o, "fallbackTo", c.fallbackTo);
    put(o, "fallbackTimeoutMs", c.fallbackTimeoutMs);
    if (c.natTraversal) {
      const n: Json = {};
      put(n, "disableAssistedAddrs", c.natTraversal.disableAssistedAddrs);
      o.natTraversal = n;
    }
  }
  return o;
}
