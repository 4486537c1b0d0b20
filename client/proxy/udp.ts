/**
 * The client half of udp proxies (wire-v1.md §10): UDPPacket frames from frps become
 * datagrams on one connected local socket per user address (30 s idle), and replies travel
 * back as UDPPacket frames; a Ping every 30 s keeps the work conn alive. Replies and Pings wait
 * in a 1024-message queue for the work conn writer and are dropped past it (frp's sendCh).
 *
 * @module
 */
import { errorText } from "../../protocol/errors.ts";
import { type Duplex, endText } from "../../protocol/duplex.ts";
import { codecFor } from "../../protocol/msg/codec.ts";
import type { Message } from "../../protocol/msg/messages.ts";
import { decodeUdpPacket, encodeUdpPacket, udpAddrKey } from "../../protocol/udp_packet.ts";
import { BoundedQueue } from "../../protocol/queue.ts";
import { wrapProxyConn } from "../../protocol/wrap.ts";
import { dialUdp, type UdpSocket } from "../../transport/mod.ts";
import type { WorkConnContext } from "./base.ts";
import { limitWorkConn } from "./limit.ts";
import { buildProxyProtocolHeader } from "../../protocol/proxy_protocol.ts";

const PING_INTERVAL_MS = 30_000;
const MAPPING_IDLE_MS = 30_000;
/** frp's sendCh capacity. */
const QUEUE_SIZE = 1024;

/** Serves the single udp work connection until it ends. */
export async function handleUdpWorkConn(ctx: WorkConnContext): Promise<void> {
  const { proxy, common, log } = ctx;
  log.info(
    `incoming a new work connection for ${proxy.type} proxy, ${endText(ctx.conn, "remoteAddr")}`,
  );
  // Go's per-packet trace lines; decided once, off the per-datagram path.
  const trace = proxy.type === "udp" && log.enabled("trace");
  const work: Duplex = wrapProxyConn(limitWorkConn(proxy, ctx.conn), {
    key: common.auth.token,
    useEncryption: proxy.transport.useEncryption,
    useCompression: proxy.transport.useCompression,
  });
  // Messages on the work conn use the session's wire protocol (frp's msg.NewReadWriter).
  const codec = codecFor(common.transport.wireProtocol);
  const mappings = new Map<string, { sock: UdpSocket; last: number }>();
  const outbox = new BoundedQueue<Message>(QUEUE_SIZE);
  const send = (m: Message) => void outbox.push(m);
  (async () => {
    for (let m = await outbox.take(); m; m = await outbox.take()) {
      await codec.writeMessage(work, m);
    }
  })().catch(() => work.close());
  const ping = setInterval(() => {
    if (trace) log.trace("send ping message to udp workConn");
    send({ type: "Ping", body: {} });
  }, PING_INTERVAL_MS);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, m] of mappings) {
      if (now - m.last > MAPPING_IDLE_MS) {
        m.sock.close();
        mappings.delete(k);
      }
    }
  }, 5000);
  try {
    for (;;) {
      const m = await codec.readMessage(work);
      if (m.type !== "UDPPacket") continue;
      const { data, remote } = decodeUdpPacket(m.body);
      if (trace) log.trace(`get udp package from workConn, len: ${data.byteLength}`);
      const key = udpAddrKey(remote);
      let mapping = mappings.get(key);
      let payload = data;
      if (!mapping && proxy.transport.proxyProtocolVersion) {
        // First datagram of a new mapping carries the header (behaviour.md §7).
        try {
          const pp = buildProxyProtocolHeader(
            proxy.transport.proxyProtocolVersion,
            "udp",
            { ip: remote.hostname, port: remote.port },
            { ip: proxy.localIP, port: proxy.localPort ?? 0 },
          );
          payload = new Uint8Array(pp.byteLength + data.byteLength);
          payload.set(pp);
          payload.set(data, pp.byteLength);
        } catch {
          payload = data;
        }
      }
      if (!mapping) {
        const sock = await dialUdp({ hostname: proxy.localIP, port: proxy.localPort ?? 0 });
        mapping = { sock, last: Date.now() };
        mappings.set(key, mapping);
        const mp = mapping;
        (async () => {
          for (;;) {
            const d = await sock.recv();
            if (!d) break;
            mp.last = Date.now();
            const reply = d.data.subarray(0, common.udpPacketSize);
            if (trace) log.trace(`send udp package to workConn, len: ${reply.byteLength}`);
            send({ type: "UDPPacket", body: encodeUdpPacket(reply, remote) });
          }
        })();
      }
      mapping.last = Date.now();
      mapping.sock.send(payload).catch(() => {});
    }
  } catch (err) {
    log.debug(`udp work connection closed: ${errorText(err)}`);
  } finally {
    clearInterval(ping);
    clearInterval(sweep);
    outbox.close();
    for (const m of mappings.values()) m.sock.close();
    work.close();
  }
}
