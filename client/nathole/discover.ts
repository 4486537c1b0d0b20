/**
 * frp's nathole.Prepare on the frpc side (pkg/nathole/discovery.go, nathole.go): ask the STUN
 * server (and its alternate address) for our mapped address from one UDP socket, classify the
 * NAT, and list this host's IPv4 addresses as "assisted" candidates. The socket is kept open:
 * its port is the one the NAT mapped and the one punching and QUIC later use.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import { bindUdp, resolveHost, type UdpSocket } from "../../transport/mod.ts";
import { classifyNatFeature } from "../../protocol/nathole/classify.ts";
import { atoi, joinHostPort, splitHostPort } from "../../protocol/nathole/addr.ts";
import {
  encodeBindingRequest,
  isResponseTo,
  parseBindingResponse,
} from "../../protocol/nathole/stun.ts";

/** golib's stun response wait. */
const STUN_TIMEOUT_MS = 3000;

/** frp's PrepareResult. */
export interface PrepareResult {
  addrs: string[];
  assistedAddrs: string[];
  /** Bound on 0.0.0.0:<port>, the port STUN saw. */
  sock: UdpSocket;
  natType: string;
  behavior: string;
}

async function resolveUdp4(addr: string): Promise<{ hostname: string; port: number }> {
  const [host, portText] = splitHostPort(addr);
  const port = atoi(portText);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return { hostname: host, port };
  try {
    // dnsServer (when set) first, as Go's process-wide resolver.
    const viaDns = await resolveHost(host);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(viaDns)) return { hostname: viaDns, port };
    const r = await lookup(host, { family: 4 });
    return { hostname: r.address, port };
  } catch {
    throw new Error(`lookup ${host}: no such host`);
  }
}

/** One Binding transaction; only the server's own answer with our transaction id counts. */
async function bindingRequest(
  sock: UdpSocket,
  server: string,
): Promise<{ mapped?: string; other?: string }> {
  const to = await resolveUdp4(server);
  const txid = crypto.getRandomValues(new Uint8Array(12));
  await sock.send(encodeBindingRequest(txid), to);
  const deadline = Date.now() + STUN_TIMEOUT_MS;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("wait response from stun server timeout");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const d = await Promise.race([
      sock.recv(),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
    ]).finally(() => clearTimeout(timer));
    if (d === "timeout") throw new Error("wait response from stun server timeout");
    if (d === null) throw new Error("use of closed network connection");
    if (d.addr.hostname !== to.hostname || d.addr.port !== to.port) continue;
    if (!isResponseTo(d.data, txid)) continue;
    const r = parseBindingResponse(d.data, txid);
    return { mapped: r.mappedAddr, other: r.otherAddr };
  }
}

/** frp's discoverFromStunServer: the mapped address seen by the server and its alternate. */
async function discoverFrom(sock: UdpSocket, server: string): Promise<string[]> {
  const first = await bindingRequest(sock, server);
  if (!first.mapped) throw new Error("no external address found");
  const out = [first.mapped];
  if (!first.other) return out;
  const second = await bindingRequest(sock, first.other);
  if (second.mapped) out.push(second.mapped);
  return out;
}

function usableIPv4(ip: string): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  return ip !== "0.0.0.0" && !ip.startsWith("127.") && !ip.startsWith("169.254.") &&
    !ip.startsWith("224.0.0.");
}

/**
 * This host's IPv4 addresses for assisted punching (ListLocalIPsForNatHole, ≤ 10, no
 * loopback/link-local). Needs `--allow-sys=networkInterfaces`; without it the list is empty,
 * as Go's is when listing fails (punching then relies on the STUN-mapped addresses).
 */
export function localIPsForNatHole(max = 10): string[] {
  try {
    const ips = Deno.networkInterfaces().filter((i) => i.family === "IPv4").map((i) => i.address);
    return [...new Set(ips.filter(usableIPv4))].slice(0, max);
  } catch {
    return [];
  }
}

/** Go's syscall texts for node's bind error codes. */
function bindErrorText(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "EADDRNOTAVAIL") return "cannot assign requested address";
  if (code === "EADDRINUSE") return "address already in use";
  if (code === "EACCES") return "permission denied";
  return (err as Error).message;
}

/**
 * frp's nathole.Discover: the mapped addresses from one UDP socket bound on `localAddr`
 * ("" = 0.0.0.0, any port). The socket stays open (the caller closes it); rejects with Go's
 * texts, without the `discover error: ` prefix.
 */
export async function discover(
  stunServer: string,
  localAddr = "",
): Promise<{ addrs: string[]; sock: UdpSocket }> {
  const local = localAddr ? await resolveUdp4(localAddr) : { hostname: "0.0.0.0", port: 0 };
  let sock: UdpSocket;
  try {
    sock = await bindUdp(local);
  } catch (err) {
    throw new Error(`listen udp4 ${localAddr || "0.0.0.0:0"}: bind: ${bindErrorText(err)}`);
  }
  try {
    return { addrs: await discoverFrom(sock, stunServer), sock };
  } catch (err) {
    sock.close();
    throw err;
  }
}

/** frp's nathole.Prepare. Rejects with Go's texts (`discover error: …`). */
export async function prepare(
  stunServer: string,
  opts: { disableAssistedAddrs: boolean },
): Promise<PrepareResult> {
  let found;
  try {
    found = await discover(stunServer);
  } catch (err) {
    throw new Error(`discover error: ${(err as Error).message}`);
  }
  const { addrs, sock } = found;
  try {
    if (addrs.length < 2) throw new Error("discover error: not enough addresses");
    const localIPs = localIPsForNatHole();
    let feature;
    try {
      feature = classifyNatFeature(addrs, localIPs);
    } catch (err) {
      throw new Error(`classify nat feature error: ${(err as Error).message}`);
    }
    const port = sock.addr.port;
    return {
      addrs,
      assistedAddrs: opts.disableAssistedAddrs ? [] : localIPs.map((ip) => joinHostPort(ip, port)),
      sock,
      natType: feature.natType,
      behavior: feature.behavior,
    };
  } catch (err) {
    sock.close();
    throw err;
  }
}
