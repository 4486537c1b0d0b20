/**
 * Trace/debug log lines people grep for: one session (login, tcp and udp proxies, an stcp proxy
 * with its visitor, one user connection each, heartbeats every second) at `log.level = "trace"`;
 * frpc and frps must print Go frp's message texts. The same list is checked against Go frp v0.70.1,
 * so it cannot drift from what Go prints (docs/status.md lists the remaining differences).
 */
import { assert } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import {
  hasGoFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import { startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip } from "../_helpers/services.ts";

const A = String.raw`127\.0\.0\.1:\d+`;
const ID = String.raw`\[[0-9a-f]{16}\]`;

const FRPC_LINES: RegExp[] = [
  new RegExp(String.raw`^\[I\] ${ID} proxy added: \[st1 tcp1 udp1\]$`),
  new RegExp(String.raw`^\[T\] ${ID} \[tcp1\] change status from \[new\] to \[wait start\]$`),
  new RegExp(String.raw`^\[D\] ${ID} send heartbeat to server$`),
  new RegExp(String.raw`^\[D\] ${ID} receive heartbeat from server$`),
  new RegExp(
    String
      .raw`^\[D\] ${ID} \[tcp1\] start a new work connection, localAddr: ${A} remoteAddr: ${A}$`,
  ),
  new RegExp(
    String
      .raw`^\[T\] ${ID} \[tcp1\] handle tcp work connection, useEncryption: false, useCompression: false$`,
  ),
  new RegExp(
    String
      .raw`^\[D\] ${ID} \[tcp1\] join connections, localConn\(l\[${A}\] r\[${A}\]\) workConn\(l\[${A}\] r\[${A}\]\)$`,
  ),
  new RegExp(String.raw`^\[D\] ${ID} \[tcp1\] join connections closed$`),
  new RegExp(String.raw`^\[D\] ${ID} \[v1\] get a new stcp user connection$`),
  new RegExp(String.raw`^\[D\] ${ID} \[st1\] join connections closed$`),
  new RegExp(
    String.raw`^\[I\] ${ID} \[udp1\] incoming a new work connection for udp proxy, ${A}$`,
  ),
  new RegExp(String.raw`^\[T\] ${ID} \[udp1\] get udp package from workConn, len: 4$`),
  new RegExp(String.raw`^\[T\] ${ID} \[udp1\] send udp package to workConn, len: 4$`),
];

const FRPS_LINES: RegExp[] = [
  /^\[T\] start check TLS connection\.\.\.$/,
  /^\[T\] check TLS connection success, isTLS: true custom: false internal: false$/,
  new RegExp(String.raw`^\[D\] ${ID} receive heartbeat$`),
  new RegExp(String.raw`^\[D\] ${ID} new work connection registered$`),
  new RegExp(String.raw`^\[I\] ${ID} \[tcp1\] get a user connection \[${A}\]$`),
  new RegExp(String.raw`^\[D\] ${ID} get work connection from pool$`),
  new RegExp(String.raw`^\[D\] ${ID} \[tcp1\] get a new work connection: \[${A}\]$`),
  new RegExp(
    String
      .raw`^\[T\] ${ID} \[tcp1\] handler user tcp connection, use_encryption: false, use_compression: false$`,
  ),
  new RegExp(
    String
      .raw`^\[D\] ${ID} \[tcp1\] join connections, workConn\(l\[${A}\] r\[${A}\]\) userConn\(l\[${A}\] r\[${A}\]\)$`,
  ),
  new RegExp(String.raw`^\[D\] ${ID} \[tcp1\] join connections closed$`),
  new RegExp(String.raw`^\[I\] ${ID} \[st1\] get a user connection \[${A}\]$`),
];

/** A line without its timestamp and source location (Go's `[file.go:NN]`, our `[file.ts]`). */
function message(line: string): string {
  return line.replace(/^\S+ \S+ /, "").replace(/ \[[\w./-]+\.(go|ts)(:\d+)?\]/, "");
}

function assertLines(p: Proc, want: RegExp[]): void {
  const got = p.lines.map(message);
  const missing = want.filter((re) => !got.some((l) => re.test(l)));
  assert(missing.length === 0, `${p.label} lacks:\n${missing.join("\n")}`);
}

const impls: Impl[] = hasGoFrp() ? ["ts", "go"] : ["ts"];

for (const impl of impls) {
  Deno.test(`debug/trace log lines [${impl}]: heartbeats, work connections, visitor`, async () => {
    await using echo = startTcpEcho();
    await using udpEcho = await startUdpEcho();
    const [bindPort, remotePort, visitorPort] = freePorts(3);
    const udpPort = await freeUdpPort();
    const log = { level: "trace" };
    await using frps = await startFrps({
      impl,
      config: { bindAddr: "127.0.0.1", bindPort, log },
    });
    await using frpc = await startFrpc({
      impl,
      config: {
        serverAddr: "127.0.0.1",
        serverPort: bindPort,
        log,
        transport: { heartbeatInterval: 1, heartbeatTimeout: 30 },
        // Declared out of order: Go hands them over sorted by name ("proxy added: [st1 tcp1]").
        proxies: [
          { name: "tcp1", type: "tcp", localPort: echo.port, remotePort },
          { name: "st1", type: "stcp", secretKey: "k", localPort: echo.port },
          { name: "udp1", type: "udp", localPort: udpEcho.port, remotePort: udpPort },
        ],
        visitors: [{
          name: "v1",
          type: "stcp",
          serverName: "st1",
          secretKey: "k",
          bindPort: visitorPort,
        }],
      },
      waitFor: /\[st1\] start proxy success/,
    });
    await withLogs([frps, frpc], async () => {
      await frpc.waitForLine(/\[tcp1\] start proxy success/);
      await frpc.waitForLine(/\[udp1\] start proxy success/);
      await frpc.waitForLine(/visitor added/);
      for (const port of [remotePort, visitorPort]) {
        const back = await tcpRoundTrip(port, new TextEncoder().encode("trace me"));
        assert(new TextDecoder().decode(back) === "trace me", `round trip via ${port}`);
      }
      const [pong] = await udpRoundTrip(udpPort, [new TextEncoder().encode("ping")]);
      assert(new TextDecoder().decode(pong) === "ping", "udp round trip");
      await frpc.waitForLine(/send udp package to workConn/);
      await frpc.waitForLine(/receive heartbeat from server/);
      await frps.waitForLine(/receive heartbeat$/);
      await frpc.waitForLine(/\[st1\] join connections closed/);
      await frps.waitForLine(/\[st1\] join connections closed/);
      assertLines(frpc, FRPC_LINES);
      assertLines(frps, FRPS_LINES);
    });
  });
}
