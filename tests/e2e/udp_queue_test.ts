/**
 * No datagram lost while a udp work connection is being set up (frp's 1024-packet queues,
 * pkg/proto/udp): one datagram, never resent, sent right after frpc logs `start proxy success`
 * (frps asks for the first work conn only 500 ms later) and right after the work conn died on
 * the way (the relay standing in for the network then holds the replacement 600 ms), must come
 * back within 2 s. The same for sudp through a visitor. Run for ours and against Go frp. And
 * frps survives a UDPPacket whose address it cannot send to (it crashed on the rejection).
 */
import dgram from "node:dgram";
import { assert } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, type Proc, startFrpc, startFrps } from "../_helpers/proc.ts";
import { startTcpRelay } from "../_helpers/relay.ts";
import { startUdpEcho } from "../_helpers/services.ts";
import type { Duplex } from "../../protocol/duplex.ts";
import { readMessage, writeMessage } from "../../protocol/msg/frame_v1.ts";
import { cryptoDuplex, deriveKey, privilegeKey } from "../../protocol/crypto/mod.ts";
import { TcpConn } from "../../transport/tcp.ts";

const TOKEN = "udp-queue-token";
const ECHO_WAIT_MS = 2000;

/** Sends `text` once to 127.0.0.1:`port`; resolves with the first reply, or null after 2 s. */
async function sendOnce(port: number, text: string): Promise<string | null> {
  const sock = dgram.createSocket("udp4");
  sock.on("error", () => {});
  try {
    return await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), ECHO_WAIT_MS);
      sock.on("message", (m) => {
        clearTimeout(timer);
        resolve(new TextDecoder().decode(m));
      });
      sock.send(new TextEncoder().encode(text), port, "127.0.0.1");
    });
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

async function expectEcho(port: number, text: string, procs: Proc[]): Promise<void> {
  const got = await sendOnce(port, text);
  if (got !== text) {
    throw new Error(
      `datagram "${text}" not echoed within ${ECHO_WAIT_MS} ms (got ${got})\n` +
        procs.map((p) => p.output()).join("\n"),
    );
  }
}

interface Pair {
  server: Impl;
  client: Impl;
  wire: "v1" | "v2";
}

const UDP_PAIRS: Pair[] = [
  { server: "ts", client: "ts", wire: "v1" },
  { server: "ts", client: "ts", wire: "v2" },
  { server: "ts", client: "go", wire: "v1" },
  { server: "go", client: "ts", wire: "v2" },
];

for (const p of UDP_PAIRS) {
  const needsGo = p.server === "go" || p.client === "go";
  Deno.test({
    name: `udp queue [${p.client} frpc → ${p.server} frps, wire ${p.wire}] ` +
      `first datagram and one across a work conn replacement`,
    ignore: needsGo && !hasGoFrp(),
    async fn() {
      await using echo = await startUdpEcho();
      const [bindPort] = freePorts(1);
      const remotePort = await freeUdpPort();
      await using frps = await startFrps({
        impl: p.server,
        config: {
          bindAddr: "127.0.0.1",
          bindPort,
          auth: { token: TOKEN },
          transport: { tcpMux: false },
        },
      });
      // tcpMux off: the udp work conn is its own TCP conn through the relay, so it can be cut.
      await using relay = startTcpRelay(bindPort);
      const frpc = await startFrpc({
        impl: p.client,
        config: {
          serverAddr: "127.0.0.1",
          serverPort: relay.port,
          auth: { token: TOKEN },
          transport: { tcpMux: false, wireProtocol: p.wire },
          proxies: [{ name: "uq", type: "udp", localPort: echo.port, remotePort }],
        },
        waitFor: /\[uq\] start proxy success/,
      });
      await using _frpc = frpc;
      await expectEcho(remotePort, "first", [frps, frpc]);

      // Conn 0 is the control, then the udp work conn and the spare frps asked for to refill its
      // pool. A NAT dropping idle conns kills both and keeps the (heartbeating) control; frps
      // then needs a new work conn, which the path takes 600 ms to bring.
      const before = relay.accepted;
      assert(before >= 2, "relayed conns before the cut");
      relay.holdNew(600);
      for (let i = 1; i < before; i++) relay.cut(i);
      await frps.waitForLine(/read from workConn for udp error/, 5000);
      await new Promise((r) => setTimeout(r, 100)); // frps also tries (and drops) the dead spare
      await expectEcho(remotePort, "second", [frps, frpc]);
      assert(relay.accepted > before, "frpc opened a replacement work conn");
    },
  });
}

interface Trio {
  server: Impl;
  proxy: Impl;
  visitor: Impl;
  wire: { proxy: "v1" | "v2"; visitor: "v1" | "v2" };
}

const SUDP_TRIOS: Trio[] = [
  { server: "ts", proxy: "ts", visitor: "ts", wire: { proxy: "v1", visitor: "v2" } },
  { server: "go", proxy: "ts", visitor: "ts", wire: { proxy: "v2", visitor: "v2" } },
  { server: "ts", proxy: "go", visitor: "go", wire: { proxy: "v1", visitor: "v1" } },
];

for (const t of SUDP_TRIOS) {
  const needsGo = t.server === "go" || t.proxy === "go" || t.visitor === "go";
  Deno.test({
    name: `udp queue [sudp: ${t.visitor} visitor (${t.wire.visitor}) → ${t.server} frps → ` +
      `${t.proxy} proxy frpc (${t.wire.proxy})] first datagram and one across a visitor conn cut`,
    ignore: needsGo && !hasGoFrp(),
    async fn() {
      await using echo = await startUdpEcho();
      const [bindPort] = freePorts(1);
      const visitorPort = await freeUdpPort();
      await using frps = await startFrps({
        impl: t.server,
        config: {
          bindAddr: "127.0.0.1",
          bindPort,
          auth: { token: TOKEN },
          transport: { tcpMux: false },
        },
      });
      // The visitor's frpc reaches frps through the relay; tcpMux off: one TCP conn per visitor conn.
      await using relay = startTcpRelay(bindPort);
      const base = (wire: string, port = bindPort) => ({
        serverAddr: "127.0.0.1",
        serverPort: port,
        auth: { token: TOKEN },
        transport: { wireProtocol: wire, tcpMux: false },
      });
      await using proxy = await startFrpc({
        impl: t.proxy,
        label: `${t.proxy} proxy frpc`,
        config: {
          ...base(t.wire.proxy),
          proxies: [{ name: "sq", type: "sudp", secretKey: "sk", localPort: echo.port }],
        },
        waitFor: /\[sq\] start proxy success/,
      });
      await using visitor = await startFrpc({
        impl: t.visitor,
        label: `${t.visitor} visitor frpc`,
        config: {
          ...base(t.wire.visitor, relay.port),
          visitors: [{
            name: "vq",
            type: "sudp",
            serverName: "sq",
            secretKey: "sk",
            bindAddr: "127.0.0.1",
            bindPort: visitorPort,
          }],
        },
        waitFor: /start visitor success/,
      });
      await expectEcho(visitorPort, "first", [frps, proxy, visitor]);

      // Conn 0 is the visitor frpc's control, the rest its visitor conn: cut, and the next one
      // held 600 ms; the datagram sent meanwhile waits in the visitor's queue.
      const before = relay.accepted;
      relay.holdNew(600);
      for (let i = 1; i < before; i++) relay.cut(i);
      await visitor.waitForLine(/sudp worker is closed/, 5000);
      await expectEcho(visitorPort, "second", [frps, proxy, visitor]);
      assert(relay.accepted > before, "the visitor opened a new visitor conn");
    },
  });
}

/** Logs in on a plain control (tcpMux off, TLS off); returns the run id and encrypted control. */
async function rawLogin(bindPort: number): Promise<{ runId: string; ctl: Duplex }> {
  const conn = new TcpConn(await Deno.connect({ hostname: "127.0.0.1", port: bindPort }));
  const ts = Math.floor(Date.now() / 1000);
  await writeMessage(conn, {
    type: "Login",
    body: {
      version: "0.70.1",
      privilege_key: privilegeKey(TOKEN, ts),
      timestamp: ts,
      client_spec: {},
    },
  });
  const resp = await readMessage(conn);
  if (resp.type !== "LoginResp" || resp.body.error) throw new Error(JSON.stringify(resp));
  return { runId: resp.body.run_id ?? "", ctl: cryptoDuplex(conn, deriveKey(TOKEN)) };
}

for (const server of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `udp [${server} frps] survives a UDPPacket whose address cannot be sent to`,
    ignore: server === "go" && !hasGoFrp(),
    async fn() {
      const [bindPort] = freePorts(1);
      const remotePort = await freeUdpPort();
      await using frps = await startFrps({
        impl: server,
        config: {
          bindAddr: "127.0.0.1",
          bindPort,
          auth: { token: TOKEN },
          transport: { tcpMux: false },
        },
      });
      const { runId, ctl } = await rawLogin(bindPort);
      try {
        await writeMessage(ctl, {
          type: "NewProxy",
          body: { proxy_name: "bad", proxy_type: "udp", remote_port: remotePort },
        });
        for (let m = await readMessage(ctl); m.type !== "ReqWorkConn"; m = await readMessage(ctl)) {
          assert(m.type !== "NewProxyResp" || !m.body.error, JSON.stringify(m));
        }
        const work = new TcpConn(await Deno.connect({ hostname: "127.0.0.1", port: bindPort }));
        const ts = Math.floor(Date.now() / 1000);
        await writeMessage(work, {
          type: "NewWorkConn",
          body: { run_id: runId, privilege_key: privilegeKey(TOKEN, ts), timestamp: ts },
        });
        assert((await readMessage(work)).type === "StartWorkConn");
        await writeMessage(work, {
          type: "UDPPacket",
          body: { c: "aGk=", r: { IP: "no-such-host.invalid", Port: 9, Zone: "" } },
        });
        await new Promise((r) => setTimeout(r, 1000));
        work.close();
        assert(frps.status === undefined, `frps exited\n${frps.output()}`);
      } finally {
        ctl.close();
      }
    },
  });
}
