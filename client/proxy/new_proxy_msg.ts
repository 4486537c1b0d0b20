/**
 * Turns a proxy config into its NewProxy message (wire-v1.md §2.3). Fields frps never sees
 * (localIP, plugin, healthCheck, proxyProtocolVersion) stay on the client.
 *
 * @module
 */
import type { NewProxy } from "../../protocol/msg/messages.ts";
import type { ProxyConfig } from "../../config/types.ts";
import { wireName } from "../../protocol/naming.ts";

/** Builds the NewProxy body for `p` as Go frpc does. */
export function newProxyMessage(user: string, p: ProxyConfig): NewProxy {
  const m: NewProxy = {
    proxy_name: wireName(user, p.name),
    proxy_type: p.type,
    use_encryption: p.transport.useEncryption,
    use_compression: p.transport.useCompression,
    bandwidth_limit: p.transport.bandwidthLimit,
    bandwidth_limit_mode: p.transport.bandwidthLimitMode === "server" ? "server" : undefined,
    group: p.loadBalancer?.group,
    group_key: p.loadBalancer?.groupKey,
    metas: p.metadatas,
    annotations: p.annotations,
  };
  switch (p.type) {
    case "tcp":
    case "udp":
      m.remote_port = p.remotePort;
      break;
    case "http":
      m.custom_domains = p.customDomains;
      m.subdomain = p.subdomain;
      m.locations = p.locations;
      m.http_user = p.httpUser;
      m.http_pwd = p.httpPassword;
      m.host_header_rewrite = p.hostHeaderRewrite;
      m.headers = p.requestHeaders?.set;
      m.response_headers = p.responseHeaders?.set;
      m.route_by_http_user = p.routeByHTTPUser;
      break;
    case "https":
      m.custom_domains = p.customDomains;
      m.subdomain = p.subdomain;
      break;
    case "tcpmux":
      m.custom_domains = p.customDomains;
      m.subdomain = p.subdomain;
      m.http_user = p.httpUser;
      m.http_pwd = p.httpPassword;
      m.route_by_http_user = p.routeByHTTPUser;
      m.multiplexer = p.multiplexer;
      break;
    case "stcp":
    case "sudp":
    case "xtcp":
      m.sk = p.secretKey;
      m.allow_users = p.allowUsers;
      break;
  }
  return m;
}
