/**
 * IP allowlists: `10.0.0.0/8`, `2001:db8::/32` or a bare address; IPv4 and IPv4-mapped IPv6
 * match each other (both are kept as 16 bytes).
 *
 * @module
 */
import { parseIp } from "./proxy_protocol.ts";

/** A parsed CIDR block. */
export interface Cidr {
  net: Uint8Array;
  /** Prefix length in the 128-bit space (IPv4 /8 = 104). */
  bits: number;
}

/** Parses a CIDR or a bare IP; undefined when invalid. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const v4 = !s.slice(0, slash < 0 ? undefined : slash).includes(":");
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t) || Number(t) > max) return undefined;
    len = Number(t);
  }
  return { net: ip, bits: len + (v4 ? 96 : 0) };
}

/** Whether `ip` (an address literal) lies in `c`. */
export function cidrContains(c: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  if (!a) return false;
  for (let i = 0, left = c.bits; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((a[i] & mask) !== (c.net[i] & mask)) return false;
  }
  return true;
}
