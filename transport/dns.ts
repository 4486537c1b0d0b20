/**
 * frpc's `dnsServer`: like Go's netpkg.SetDefaultDNSAddress, which replaces the process-wide
 * resolver, every host name frpc dials (frps, the proxy URL, local services, the STUN server)
 * is resolved through the configured server once it is set. /etc/hosts still comes first, as
 * with Go's pure-Go resolver.
 *
 * @module
 */

import { isIP } from "node:net";
import { unbracket } from "./_util.ts";

let nameServer: { ipAddr: string; port: number; text: string } | undefined;
let hostsCache: Map<string, string> | undefined;

/**
 * Sets (or with ""/undefined clears) the process's DNS server: `ip` or `ip:port` (port 53 by
 * default), as frp's `dnsServer`.
 */
export function setDnsServer(addr: string | undefined): void {
  if (!addr) {
    nameServer = undefined;
    return;
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  const ipAddr = m ? m[1] : unbracket(addr);
  const port = m ? Number(m[2]) : 53;
  const text = ipAddr.includes(":") ? `[${ipAddr}]:${port}` : `${ipAddr}:${port}`;
  nameServer = { ipAddr, port, text };
}

function hostsFile(): Map<string, string> {
  if (hostsCache) return hostsCache;
  hostsCache = new Map();
  let text = "";
  try {
    text = Deno.readTextFileSync("/etc/hosts");
  } catch { /* no hosts file (or no read permission): DNS only */ }
  for (const raw of text.split("\n")) {
    const [ip, ...names] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (!ip || !isIP(ip)) continue;
    for (const n of names) {
      if (!hostsCache.has(n.toLowerCase())) hostsCache.set(n.toLowerCase(), ip);
    }
  }
  return hostsCache;
}

/**
 * The address to dial for `hostname`: unchanged when no DNS server is set or it is an IP
 * literal; else /etc/hosts, then A, then AAAA records from the DNS server. Throws Go's
 * `lookup <name> on <server>: no such host` when nothing is found.
 */
export async function resolveHost(hostname: string): Promise<string> {
  const h = unbracket(hostname);
  if (!nameServer || isIP(h) || h === "") return h;
  const fromHosts = hostsFile().get(h.toLowerCase());
  if (fromHosts) return fromHosts;
  const ns = { ipAddr: nameServer.ipAddr, port: nameServer.port };
  for (const type of ["A", "AAAA"] as const) {
    try {
      const addrs = await Deno.resolveDns(h, type, { nameServer: ns });
      if (addrs.length > 0) return addrs[0];
    } catch { /* NXDOMAIN, no records or unreachable: try the next type, then fail below */ }
  }
  throw new Error(`lookup ${h} on ${nameServer.text}: no such host`);
}

/**
 * Go's text for a failed lookup through the system resolver: `lookup <name> on <ns>:53: no
 * such host`, naming the first `nameserver` of /etc/resolv.conf as Go's resolver does
 * (without it, or without read permission, `lookup <name>: no such host`).
 */
export function noSuchHostText(hostname: string): string {
  const h = unbracket(hostname);
  if (nameServer) return `lookup ${h} on ${nameServer.text}: no such host`;
  let ns: string | undefined;
  try {
    ns = /^\s*nameserver\s+(\S+)/m.exec(Deno.readTextFileSync("/etc/resolv.conf"))?.[1];
  } catch { /* no resolv.conf or no read permission */ }
  if (!ns) return `lookup ${h}: no such host`;
  return `lookup ${h} on ${ns.includes(":") ? `[${ns.replace(/%.*/, "")}]` : ns}:53: no such host`;
}
