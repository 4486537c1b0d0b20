/**
 * frp's nathole exchange and hole punching (pkg/nathole/nathole.go): swap addresses with the
 * peer through frps (NatHoleVisitor / NatHoleClient → NatHoleResp), then send encrypted
 * NatHoleSid packets the way frps's detect behaviour says (role, TTL, delay, port ranges,
 * random ports, extra listening sockets) and wait for the peer's. Garbage datagrams are logged
 * and skipped; every wait is bounded.
 *
 * @module
 */
import type { Message, NatHoleDetectBehavior, NatHoleResp } from "../../protocol/msg/messages.ts";
import { decodeSidPacket, encodeSidPacket } from "../../protocol/nathole/sid_packet.ts";
import {
  atoi,
  compactInPlace,
  joinHostPort,
  parseIPs,
  splitHostPort,
} from "../../protocol/nathole/addr.ts";
import { sleep } from "../../protocol/deadline.ts";
import { errorText } from "../../protocol/errors.ts";
import type { NetAddr } from "../../protocol/duplex.ts";
import { bindUdp, type UdpSocket } from "../../transport/mod.ts";
import type { Logger } from "../../log/logger.ts";
import type { MessageTransporter } from "../transporter.ts";
import { prepare, type PrepareResult } from "./discover.ts";

/** Linux's default IP TTL, restored after a low-TTL send (node:dgram cannot read it). */
const DEFAULT_TTL = 64;
/** Go's default wait for the peer's packet. */
const DEFAULT_READ_TIMEOUT_MS = 5000;

/** frp's NewTransactionID: unix seconds + 16 random hex digits. */
export function newTransactionID(): string {
  const rnd = crypto.getRandomValues(new Uint8Array(8));
  return `${Math.floor(Date.now() / 1000)}${
    Array.from(rnd, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

/** Go's `%v` of a []string. */
export function goList(xs: readonly string[] | undefined): string {
  return `[${(xs ?? []).join(" ")}]`;
}

/**
 * nathole.Prepare with the log lines the xtcp proxy and visitor both write around it; null
 * (after a warning) when discovery fails.
 */
export async function prepareLogged(
  log: Logger,
  stunServer: string,
  disableAssistedAddrs: boolean,
): Promise<PrepareResult | null> {
  log.trace("nathole prepare start");
  let prep: PrepareResult;
  try {
    prep = await prepare(stunServer, { disableAssistedAddrs });
  } catch (err) {
    log.warn(`nathole prepare error: ${errorText(err)}`);
    return null;
  }
  log.info(
    `nathole prepare success, nat type: ${prep.natType}, behavior: ${prep.behavior}, ` +
      `addresses: ${goList(prep.addrs)}, assistedAddresses: ${goList(prep.assistedAddrs)}`,
  );
  return prep;
}

/** Go's `%+v` of msg.NatHoleDetectBehavior, as frpc logs it. */
export function formatBehavior(b: NatHoleDetectBehavior): string {
  const ports = (b.candidate_ports ?? []).map((r) => `{From:${r.from ?? 0} To:${r.to ?? 0}}`);
  return `{Role:${b.role ?? ""} Mode:${b.mode ?? 0} TTL:${b.ttl ?? 0} SendDelayMs:${
    b.send_delay_ms ?? 0
  } ReadTimeoutMs:${b.read_timeout ?? 0} CandidatePorts:[${ports.join(" ")}] SendRandomPorts:${
    b.send_random_ports ?? 0
  } ListenRandomPorts:${b.listen_random_ports ?? 0}}`;
}

/** The get-natHoleRespMsg info line both sides log. */
export function natHoleRespLine(m: NatHoleResp): string {
  return `get natHoleRespMsg, sid [${m.sid ?? ""}], protocol [${m.protocol ?? ""}], ` +
    `candidate address ${goList(m.candidate_addrs)}, assisted address ${
      goList(m.assisted_addrs)
    }, detectBehavior: ${formatBehavior(m.detect_behavior ?? {})}`;
}

/**
 * frp's ExchangeInfo: send `m`, wait ≤ `timeoutMs` for the NatHoleResp with `transactionID`.
 * Rejects with Go's texts.
 */
export async function exchangeInfo(
  transporter: MessageTransporter,
  transactionID: string,
  m: Message,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<NatHoleResp> {
  let resp;
  try {
    resp = await transporter.do(m, transactionID, "NatHoleResp", timeoutMs, signal);
  } catch (err) {
    throw new Error(`get natHoleRespMsg error: ${errorText(err)}`);
  }
  const body = resp.body;
  if (body.error) throw new Error(`natHoleRespMsg get error info: ${body.error}`);
  if (!body.candidate_addrs?.length) {
    throw new Error("natHoleRespMsg get empty candidate addresses");
  }
  return body;
}

/** Go's slices.Compact on a fresh array: consecutive duplicates dropped. */
function compact(xs: string[]): string[] {
  return compactInPlace(xs) ?? [];
}

function toUdp4(addr: string): NetAddr | null {
  try {
    const [host, port] = splitHostPort(addr);
    return /^\d+\.\d+\.\d+\.\d+$/.test(host) ? { hostname: host, port: atoi(port) } : null;
  } catch {
    return null;
  }
}

interface HoleCtx {
  resp: NatHoleResp;
  secretKey: string;
  transactionID: string;
  log: Logger;
  signal?: AbortSignal;
}

/** frp's sendSidMessage: one NatHoleSid packet, optionally with a low TTL. */
async function sendSid(h: HoleCtx, sock: UdpSocket, addr: string): Promise<void> {
  const ttl = h.resp.detect_behavior?.ttl ?? 0;
  h.log.trace(
    `send sid message from 0.0.0.0:${sock.addr.port} to ${addr}${
      ttl > 0 ? ` with ttl ${ttl}` : ""
    }`,
  );
  const to = toUdp4(addr);
  if (!to) throw new Error(`address ${addr}: not an IPv4 address`);
  const pkt = encodeSidPacket({
    transaction_id: h.transactionID,
    sid: h.resp.sid,
    response: false,
    nonce: "0".repeat(Math.floor(Math.random() * 20)),
  }, h.secretKey);
  let lowered = false;
  if (ttl > 0) {
    try {
      sock.setTTL(ttl);
      lowered = true;
    } catch (err) {
      h.log.trace(`set ttl error ${errorText(err)}`);
    }
  }
  try {
    await sock.send(pkt, to);
  } finally {
    if (lowered) {
      try {
        sock.setTTL(DEFAULT_TTL);
      } catch { /* socket closed */ }
    }
  }
}

async function trySend(h: HoleCtx, sock: UdpSocket, addr: string): Promise<void> {
  try {
    await sendSid(h, sock, addr);
  } catch (err) {
    h.log.trace(
      `send sid message from 0.0.0.0:${sock.addr.port} to ${addr} error: ${errorText(err)}`,
    );
  }
}

async function sendToRangePorts(h: HoleCtx, sock: UdpSocket): Promise<void> {
  // frps sends one or two small ranges; the caps keep a hostile answer bounded.
  const ranges = (h.resp.detect_behavior?.candidate_ports ?? []).slice(0, 16);
  for (const ip of compact(parseIPs(h.resp.candidate_addrs ?? [])).slice(0, 16)) {
    for (const r of ranges) {
      const to = Math.min(r.to ?? 0, (r.from ?? 0) + 1024, 65535);
      for (let p = r.from ?? 0; p <= to; p++) {
        if (h.signal?.aborted) return;
        await trySend(h, sock, joinHostPort(ip, p));
        await sleep(2);
      }
    }
  }
}

async function sendToRandomPorts(h: HoleCtx, sock: UdpSocket, stop: AbortSignal): Promise<void> {
  const used = new Set<number>();
  const count = Math.min(h.resp.detect_behavior?.send_random_ports ?? 0, 65535);
  const ips = compact(parseIPs(h.resp.candidate_addrs ?? []));
  for (let i = 0; i < count && !stop.aborted; i++) {
    let port = 0;
    for (let k = 0; k < 10; k++) {
      const p = Math.floor(Math.random() * (65535 - 1024)) + 1024;
      if (!used.has(p)) {
        used.add(p);
        port = p;
        break;
      }
    }
    if (port === 0) continue;
    for (const ip of ips) {
      if (stop.aborted) return;
      await trySend(h, sock, joinHostPort(ip, port));
      await sleep(15);
    }
  }
}

/** frp's waitDetectMessage: the first valid packet with our sid; receivers answer it. */
async function waitDetect(
  h: HoleCtx,
  sock: UdpSocket,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<NetAddr> {
  const role = h.resp.detect_behavior?.role ?? "";
  const until = Date.now() + timeoutMs;
  const timeoutErr = () => new Error(`read udp4 0.0.0.0:${sock.addr.port}: i/o timeout`);
  // One abort listener per wait (not per packet): a flood must not pile up closures.
  const stopped = new Promise<"timeout">((r) => {
    if (stop.aborted) r("timeout");
    stop.addEventListener("abort", () => r("timeout"), { once: true });
  });
  for (;;) {
    const left = until - Date.now();
    if (left <= 0 || stop.aborted) throw timeoutErr();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const d = await Promise.race([
      sock.recv(),
      stopped,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
    ]).finally(() => clearTimeout(timer));
    if (d === "timeout") throw timeoutErr();
    if (d === null) throw new Error("use of closed network connection");
    const from = joinHostPort(d.addr.hostname, d.addr.port);
    h.log.debug(`get udp message local 0.0.0.0:${sock.addr.port}, from ${from}`);
    let m;
    try {
      m = decodeSidPacket(d.data, h.secretKey);
    } catch (err) {
      h.log.warn(`decode sid message error: ${errorText(err)}`);
      continue;
    }
    if (m.sid !== h.resp.sid) {
      h.log.warn(`get sid message with wrong sid: ${m.sid ?? ""}, expect: ${h.resp.sid ?? ""}`);
      continue;
    }
    if (!m.response) {
      if (role === "sender") continue; // senders only accept answers
      await sock.send(encodeSidPacket({ ...m, response: true }, h.secretKey), d.addr).catch(
        () => {},
      );
    }
    return d.addr;
  }
}

/** The punched socket and the peer address that answered on it. */
export interface Hole {
  sock: UdpSocket;
  raddr: NetAddr;
}

/**
 * frp's MakeHole. Resolves with the socket that heard the peer (possibly one of the extra
 * listening sockets; every other socket is closed) or rejects with Go's texts.
 */
export async function makeHole(
  sock: UdpSocket,
  resp: NatHoleResp,
  secretKey: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<Hole> {
  const b = resp.detect_behavior ?? {};
  const h: HoleCtx = { resp, secretKey, transactionID: newTransactionID(), log, signal };
  const socks = [sock];
  let detectAddrs: string[] = [];
  if (b.role === "sender") {
    if ((b.send_delay_ms ?? 0) > 0) await sleep(Math.min(b.send_delay_ms!, 60_000), signal);
    detectAddrs = [...(resp.assisted_addrs ?? []), ...(resp.candidate_addrs ?? [])];
  } else {
    if (!b.candidate_ports?.length) detectAddrs = [...(resp.candidate_addrs ?? [])];
    const extra = Math.min(b.listen_random_ports ?? 0, 256);
    for (let i = 0; i < extra; i++) {
      try {
        socks.push(await bindUdp({ hostname: "0.0.0.0", port: 0 }));
      } catch (err) {
        log.warn(`listen random udp addr error: ${errorText(err)}`);
      }
    }
  }
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal?.addEventListener("abort", abort, { once: true });
  const closeAllBut = (keep?: UdpSocket) => {
    for (const s of socks) if (s !== keep) s.close();
  };
  try {
    for (const addr of compact(detectAddrs)) {
      for (const s of socks) await trySend(h, s, addr);
    }
    if (b.candidate_ports?.length) { for (const s of socks) await sendToRangePorts(h, s); }
    if ((b.send_random_ports ?? 0) > 0) {
      for (const s of socks) sendToRandomPorts(h, s, stop.signal);
    }
    const timeout = (b.read_timeout ?? 0) > 0 ? b.read_timeout! : DEFAULT_READ_TIMEOUT_MS;
    const waits = socks.map((s) =>
      waitDetect(h, s, timeout, stop.signal).then((raddr) => ({ sock: s, raddr }))
    );
    let hole: Hole;
    try {
      hole = await Promise.any(waits);
    } catch {
      if (signal?.aborted) throw new Error("wait detect message canceled");
      if (socks.length === 1) {
        const reason = await waits[0].catch((e) => e as Error);
        throw new Error(`wait detect message error: ${errorText(reason)}`);
      }
      throw new Error("wait detect message timeout");
    }
    stop.abort();
    closeAllBut(hole.sock);
    return hole;
  } catch (err) {
    stop.abort();
    closeAllBut(sock); // the caller owns and closes the original socket
    throw err;
  } finally {
    signal?.removeEventListener("abort", abort);
  }
}
