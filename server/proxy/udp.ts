/**
 * udp proxies (behaviour.md §4.6): one UDP socket on proxyBindAddr:remotePort and exactly one
 * work connection at a time carrying every datagram as a framed UDPPacket.
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Duplex } from "../../protocol/duplex.ts";
import type { MessageCodec } from "../../protocol/msg/codec.ts";
import { deadline, sleep } from "../../protocol/deadline.ts";
import { decodeUdpPacket, encodeUdpPacket } from "../../protocol/udp_packet.ts";
import { bindUdp, type UdpSocket } from "../../transport/mod.ts";
import { openWorkConnWithCodec, type ProxyContext, type ServerProxy } from "./base.ts";

const FIRST_WORK_CONN_DELAY_MS = 500;
const RETRY_MS = 1000;
const READ_TIMEOUT_MS = 60_000;

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
  let work = null as { conn: Duplex; codec: MessageCodec } | null;

  // Work conn keeper: (re)obtains the single work conn and pumps replies back to users.
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
      work = { conn, codec };
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
          sock.send(data, remote);
          server.stats?.addTrafficOut(ctx.name, "udp", data.byteLength);
        }
      } catch (err) {
        if (!abort.signal.aborted) log.warn(`read from workConn for udp error: ${errorText(err)}`);
      }
      conn.close();
      if (work?.conn === conn) work = null;
    }
  })();

  // Sender: every user datagram becomes a UDPPacket on the current work conn; dropped if none.
  (async () => {
    for (;;) {
      const d = await sock.recv();
      if (!d) break;
      const w = work;
      if (!w) continue;
      const { conn, codec } = w;
      try {
        // frps reads into a udpPacketSize buffer, so longer datagrams arrive truncated
        const data = d.data.subarray(0, server.config.udpPacketSize);
        const m = { type: "UDPPacket", body: encodeUdpPacket(data, d.addr) } as const;
        await codec.writeMessage(conn, m);
        server.stats?.addTrafficIn(ctx.name, "udp", data.byteLength);
      } catch {
        conn.close();
      }
    }
  })();

  return {
    name: ctx.name,
    type: "udp",
    remoteAddr: `:${port}`,
    close() {
      if (abort.signal.aborted) return;
      abort.abort();
      sock.close();
      work?.conn.close();
      server.udpPorts.release(port);
    },
  };
}
