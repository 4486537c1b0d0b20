/**
 * udp proxies (behaviour.md §4.6): one UDP socket on proxyBindAddr:remotePort and exactly one
 * work connection at a time carrying every datagram as a framed UDPPacket. As in frp, user
 * datagrams wait in a 1024-packet queue while there is no work conn (the first one is asked for
 * 500 ms after the proxy starts; a dead one is replaced) and are dropped only past that bound.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Duplex } from "../../protocol/duplex.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";
import { deadline, sleep } from "../../protocol/deadline.ts";
import { decodeUdpPacket, encodeUdpPacket, udpPacketLength } from "../../protocol/udp_packet.ts";
import type { UDPPacket } from "../../protocol/msg/messages.ts";
import { BoundedQueue } from "../../protocol/queue.ts";
import { bindUdp, type UdpSocket } from "../../transport/mod.ts";
import { openWorkConnWithCodec, type ProxyContext, type ServerProxy } from "./base.ts";

const FIRST_WORK_CONN_DELAY_MS = 500;
const RETRY_MS = 1000;
const READ_TIMEOUT_MS = 60_000;
/** frp's sendCh capacity. */
const QUEUE_SIZE = 1024;

/** Starts a udp proxy. */
export async function createUdpProxy(ctx: ProxyContext): Promise<ServerProxy> {
  const { server, msg, log } = ctx;
  let port: number;
  let sock: UdpSocket;
  try {
    ({ port, value: sock } = await server.udpPorts.acquire(
      ctx.name,
      msg.remote_port ?? 0,
      (p) => bindUdp({ hostname: server.config.proxyBindAddr, port: p }),
      ctx.control.userState?.config.allowPorts,
    ));
  } catch (err) {
    throw new Error(`acquire port ${msg.remote_port ?? 0} error: ${errorText(err)}`);
  }
  log.info(`udp proxy listen port [${port}]`);
  const abort = new AbortController();
  const outbox = new BoundedQueue<UDPPacket>(QUEUE_SIZE);
  let work = null as Duplex | null;

  // Work conn keeper: (re)obtains the single work conn, drains the queue into it and pumps
  // replies back to users.
  (async () => {
    await sleep(FIRST_WORK_CONN_DELAY_MS, abort.signal).catch(() => {});
    while (!abort.signal.aborted) {
      let conn: Duplex;
      let codec: MessageCodec;
      try {
        ({ conn, codec } = await openWorkConnWithCodec(ctx, {}));
      } catch (err) {
        if (abort.signal.aborted) break;
        log.warn(`failed to get work connection: ${errorText(err)}`);
        await sleep(RETRY_MS, abort.signal).catch(() => {});
        continue;
      }
      if (abort.signal.aborted) {
        conn.close();
        break;
      }
      work = conn;
      const stop = new AbortController();
      const sender = sendQueued(ctx, outbox, conn, codec, stop.signal);
      try {
        for (;;) {
          const m = await deadline(
            codec.readMessage(conn),
            READ_TIMEOUT_MS,
            "udp work conn read",
            () => conn.close(),
          );
          if (m.type !== "UDPPacket") continue; // Ping keep-alives
          const { data, remote } = decodeUdpPacket(m.body);
          sock.send(data, remote).catch(() => {}); // a bad address from frpc drops the datagram
          server.stats?.addTrafficOut(ctx.name, "udp", data.byteLength);
        }
      } catch (err) {
        if (!abort.signal.aborted) log.warn(`read from workConn for udp error: ${errorText(err)}`);
      }
      stop.abort();
      conn.close();
      await sender;
      if (work === conn) work = null;
    }
  })();

  // Receiver: every user datagram is queued for the work conn (dropped only when the queue is
  // full); frps reads into a udpPacketSize buffer, so longer datagrams arrive truncated.
  (async () => {
    for (;;) {
      const d = await sock.recv();
      if (!d) break;
      outbox.push(encodeUdpPacket(d.data.subarray(0, server.config.udpPacketSize), d.addr));
    }
  })();

  return {
    name: ctx.name,
    type: "udp",
    remoteAddr: `:${port}`,
    close() {
      if (abort.signal.aborted) return;
      abort.abort();
      outbox.close();
      work?.close();
      server.udpPorts.release(port, sock.close());
    },
  };
}

/** Writes queued packets to `conn` until `stop` aborts or a write fails (closing `conn`). */
async function sendQueued(
  ctx: ProxyContext,
  outbox: BoundedQueue<UDPPacket>,
  conn: Duplex,
  codec: MessageCodec,
  stop: AbortSignal,
): Promise<void> {
  for (;;) {
    const body = await outbox.take(stop);
    if (!body) return;
    try {
      await codec.writeMessage(conn, { type: "UDPPacket", body });
    } catch {
      conn.close();
      return;
    }
    ctx.server.stats?.addTrafficIn(ctx.name, "udp", udpPacketLength(body));
  }
}
