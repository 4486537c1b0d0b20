/**
 * PROXY protocol v1/v2 headers as frpc writes them to local services (behaviour.md §7;
 * pires/go-proxyproto v0.7 formatting). Pure: addresses in, bytes out.
 *
 * @module
 */

/** An IP address and port. */
export interface PPAddr {
  ip: string;
  port: number;
}

const SIG_V2 = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

/** Parses an IPv4 literal to 4 bytes, or undefined. */
function parseV4(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x, i) => x > 255 || (m[i + 1].length > 1 && m[i + 1][0] === "0"))) return undefined;
  return Uint8Array.from(b);
}

/** Parses an IP literal into 16 bytes (IPv4 as ::ffff:a.b.c.d), or undefined. */
export function parseIp(s: string): Uint8Array | undefined {
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const pct = s.indexOf("%");
  if (pct >= 0) s = s.slice(0, pct);
  const v4 = parseV4(s);
  if (v4) return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4);
  if (!s.includes(":")) return undefined;
  const lastColon = s.lastIndexOf(":");
  const last = s.slice(lastColon + 1);
  if (last.includes(".")) {
    const t = parseV4(last);
    if (!t) return undefined;
    const hi = ((t[0] << 8) | t[1]).toString(16);
    const lo = ((t[2] << 8) | t[3]).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array(fill).fill(0), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The 4-byte form when `ip16` is IPv4(-mapped), like Go's IP.To4. */
function to4(ip16: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < 10; i++) if (ip16[i] !== 0) return undefined;
  if (ip16[10] !== 0xff || ip16[11] !== 0xff) return undefined;
  return ip16.subarray(12);
}

/** Go's net.IP.String(): dotted for IPv4(-mapped), RFC 5952 otherwise. */
export function formatIp(ip16: Uint8Array): string {
  const v4 = to4(ip16);
  if (v4) return Array.from(v4).join(".");
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((ip16[2 * i] << 8) | ip16[2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(":");
  const left = g.slice(0, bestStart).map((x) => x.toString(16)).join(":");
  const right = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(":");
  return `${left}::${right}`;
}

/**
 * Builds the header. `transport` "tcp": family by the source IP (TCP4/TCP6), and an address of
 * the other family for the destination is an error (as go-proxyproto). `transport` "udp": v1 is
 * `PROXY UNKNOWN`, v2 uses the UDP families (both IPv4 ⇒ UDP4, else UDP6). Unparsable
 * addresses produce the LOCAL/UNKNOWN form.
 */
export function buildProxyProtocolHeader(
  version: "v1" | "v2",
  transport: "tcp" | "udp",
  src: PPAddr,
  dst: PPAddr,
): Uint8Array {
  const s = parseIp(src.ip);
  const d = parseIp(dst.ip);
  const unknown = () =>
    version === "v1"
      ? new TextEncoder().encode("PROXY UNKNOWN\r\n")
      : Uint8Array.of(...SIG_V2, 0x20, 0x00, 0x00, 0x00);
  if (!s || !d) return unknown();
  let v4: boolean;
  if (transport === "tcp") {
    v4 = !!to4(s);
    if (v4 && !to4(d)) throw new Error("proxyproto: invalid address");
  } else {
    v4 = !!to4(s) && !!to4(d);
  }
  if (version === "v1") {
    if (transport === "udp") return unknown();
    const fam = v4 ? "TCP4" : "TCP6";
    return new TextEncoder().encode(
      `PROXY ${fam} ${formatIp(s)} ${formatIp(d)} ${src.port} ${dst.port}\r\n`,
    );
  }
  const fam = (v4 ? 0x10 : 0x20) | (transport === "tcp" ? 0x01 : 0x02);
  const alen = v4 ? 12 : 36;
  const out = new Uint8Array(16 + alen);
  out.set(SIG_V2);
  out[12] = 0x21;
  out[13] = fam;
  out[14] = alen >> 8;
  out[15] = alen & 0xff;
  const sa = v4 ? to4(s)! : s;
  const da = v4 ? to4(d)! : d;
  out.set(sa, 16);
  out.set(da, 16 + sa.length);
  const po = 16 + sa.length * 2;
  out[po] = src.port >> 8;
  out[po + 1] = src.port & 0xff;
  out[po + 2] = dst.port >> 8;
  out[po + 3] = dst.port & 0xff;
  return out;
}
