/**
 * sudp visitors (frp's client/visitor/sudp.go): one local UDP socket; the first datagram opens a
 * visitor conn to frps, and every datagram travels on it as a UDPPacket whose `r` is the local
 * user's address. Replies come back the same way (read deadline 60 s, Pings ignored). When the
 * conn fails, the next datagram opens a new one (wire-v1.md §10, §11.1).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import type { Duplex } from "../../protocol/duplex.ts";
import type { UDPPacket } from "../../protocol/msg/messages.ts";
import { deadline } from "../../protocol/deadline.ts";
import { decodeUdpPacket, encodeUdpPacket } from "../../protocol/udp_packet.ts";
import { bindUdp, type UdpSocket } from "../../transport/mod.ts";
import { openVisitorConn, type Visitor, type VisitorContext } from "./base.ts";
import { BoundedQueue } from "../../protocol/queue.ts";

const QUEUE_SIZE = 1024;
const READ_TIMEOUT_MS = 60_000;

/** An sudp visitor. */
export class SudpVisitor implements Visitor {
  readonly #ctx: VisitorContext;
  readonly #outbox = new BoundedQueue<UDPPacket>(QUEUE_SIZE);
  #sock: UdpSocket | undefined;
  #conn: Duplex | undefined;
  #closed = false;

  constructor(ctx: VisitorContext) {
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    const { cfg } = this.#ctx;
    const sock = await bindUdp({ hostname: cfg.bindAddr, port: cfg.bindPort });
    this.#sock = sock;
    this.#ctx.log.info(`sudp start to work, listen on ${cfg.bindAddr}:${sock.addr.port}`);
    this.#readLocal(sock);
    this.#dispatch(sock);
  }

  /** Local datagrams → outbox (dropped when full), truncated to udpPacketSize as Go reads. */
  async #readLocal(sock: UdpSocket): Promise<void> {
    for (;;) {
      const d = await sock.recv();
      if (!d) break;
      const data = d.data.subarray(0, this.#ctx.common.udpPacketSize);
      this.#outbox.push(encodeUdpPacket(data, d.addr));
    }
  }

  /** Waits for traffic, opens a visitor conn, serves it until it fails, repeats. */
  async #dispatch(sock: UdpSocket): Promise<void> {
    const log = this.#ctx.log;
    while (!this.#closed) {
      const first = await this.#outbox.take();
      if (!first) break;
      let conn: Duplex;
      try {
        conn = await openVisitorConn(this.#ctx);
      } catch (err) {
        log.warn(`newVisitorConn to frps error: ${errorText(err)}, try to reconnect`);
        continue;
      }
      if (this.#closed) {
        conn.close();
        break;
      }
      this.#conn = conn;
      await this.#work(sock, conn, first);
      this.#conn = undefined;
    }
    log.info("frpc sudp visitor proxy is closed");
  }

  async #work(sock: UdpSocket, conn: Duplex, first: UDPPacket): Promise<void> {
    const log = this.#ctx.log;
    const codec = this.#ctx.connector.codec;
    log.debug("starting sudp proxy worker");
    const stop = new AbortController();
    const reader = (async () => {
      try {
        for (;;) {
          const m = await deadline(
            codec.readMessage(conn),
            READ_TIMEOUT_MS,
            "sudp visitor read",
            () => conn.close(),
          );
          if (m.type !== "UDPPacket") continue; // Ping keep-alives from the proxy's frpc
          const { data, remote } = decodeUdpPacket(m.body);
          sock.send(data, remote).catch(() => {});
        }
      } catch (err) {
        if (!this.#closed) {
          log.warn(`read from workconn for user udp conn error: ${errorText(err)}`);
        }
      }
    })();
    const sender = (async () => {
      try {
        let pkt: UDPPacket | null = first;
        while (pkt) {
          await codec.writeMessage(conn, { type: "UDPPacket", body: pkt });
          pkt = await this.#outbox.take(stop.signal);
        }
      } catch (err) {
        if (!this.#closed) {
          log.warn(`sender goroutine for udp work connection closed: ${errorText(err)}`);
        }
      }
    })();
    await Promise.race([reader, sender]);
    stop.abort();
    conn.close();
    await Promise.all([reader, sender]);
    log.info("sudp worker is closed");
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#outbox.close();
      this.#conn?.close();
    }
    return this.#sock?.close() ?? Promise.resolve();
  }
}
