/**
 * Go's address helpers that frps' NAT-hole analysis depends on: net.SplitHostPort,
 * strconv.Atoi, slices.Compact (with its in-place zeroing) and the nathole package's parseIPs.
 * Exact error texts matter: they reach NatHoleResp.error and the logs.
 *
 * @module
 */

/** Go's net.SplitHostPort; throws an Error with Go's text. */
export function splitHostPort(hostport: string): [host: string, port: string] {
  // Go's AddrError: "address <addr>: <why>", just "<why>" for an empty address.
  const fail = (why: string): never => {
    throw new Error(hostport === "" ? why : `address ${hostport}: ${why}`);
  };
  const i = hostport.lastIndexOf(":");
  if (i < 0) fail("missing port in address");
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0) fail("missing ']' in address");
    if (end + 1 === hostport.length) fail("missing port in address");
    if (end + 1 !== i) {
      fail(hostport[end + 1] === ":" ? "too many colons in address" : "missing port in address");
    }
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) fail("too many colons in address");
  }
  if (hostport.indexOf("[", j) >= 0) fail("unexpected '[' in address");
  if (hostport.indexOf("]", k) >= 0) fail("unexpected ']' in address");
  return [host, hostport.slice(i + 1)];
}

/** Go's strconv.Atoi for the values that occur here (decimal, optional sign, int64 range). */
export function atoi(s: string): number {
  const quoted = JSON.stringify(s);
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${quoted}: invalid syntax`);
  const big = BigInt(s);
  if (big > 9223372036854775807n || big < -9223372036854775808n) {
    throw new Error(`strconv.Atoi: parsing ${quoted}: value out of range`);
  }
  return Number(big);
}

/** The nathole package's parseIPs: the host of every address that splits, others skipped. */
export function parseIPs(addrs: readonly string[] | undefined): string[] {
  const ips: string[] = [];
  for (const a of addrs ?? []) {
    try {
      ips.push(splitHostPort(a)[0]);
    } catch { /* skipped, as in Go */ }
  }
  return ips;
}

/**
 * Go's slices.Compact: drops consecutive duplicates and returns the shortened slice. Since Go
 * 1.22 it also zeroes the vacated tail of the original backing array; frps reads that array
 * again afterwards (logs, candidate ports), so the mutation is reproduced on `s`.
 */
export function compactInPlace(s: string[] | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  if (s.length < 2) return s.slice();
  let w = 1;
  for (let r = 1; r < s.length; r++) {
    if (s[r] !== s[w - 1]) s[w++] = s[r];
  }
  const out = s.slice(0, w);
  for (let z = w; z < s.length; z++) s[z] = "";
  return out;
}

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
