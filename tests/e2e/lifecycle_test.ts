/**
 * Session lifecycle against real processes: frpc reconnects when frps goes away and comes
 * back, `loginFailExit = false` keeps retrying the first login, and heartbeats (tcpMux off)
 * keep a live client and drop a silent one. Run for our frpc and frps, each also against Go.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  hasGoFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip, withTimeout } from "../_helpers/services.ts";
import { encodeMessage, readMessage } from "../../protocol/msg/frame_v1.ts";
import { privilegeKey } from "../../protocol/crypto/mod.ts";

const TOKEN = "lifecycle-token";

function serverConfig(bindPort: number, extra: Record<string, unknown> = {}) {
  return { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN }, ...extra };
}

function clientConfig(
  bindPort: number,
  localPort: number,
  remotePort: number,
  extra: Record<string, unknown> = {},
) {
  return {
    serverAddr: "127.0.0.1",
    serverPort: bindPort,
    auth: { token: TOKEN },
    ...extra,
    proxies: [{ name: "life", type: "tcp", localPort, remotePort }],
  };
}

/** Waits until `re` has matched at least `count` captured lines. */
async function waitForCount(p: Proc, re: RegExp, count: number, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (p.lines.filter((l) => re.test(l)).length >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.label}: fewer than ${count} lines matching ${re} in ${timeoutMs} ms`);
}

async function assertTunnel(remotePort: number): Promise<void> {
  const payload = new TextEncoder().encode("lifecycle round trip");
  const back = await tcpRoundTrip(remotePort, payload);
  assertEquals(new TextDecoder().decode(back), "lifecycle round trip");
}

const PAIRS: Array<{ server: Impl; client: Impl }> = [
  { server: "ts", client: "ts" },
  { server: "go", client: "ts" },
  { server: "ts", client: "go" },
];

for (const { server, client } of PAIRS) {
  const label = `[${client} frpc → ${server} frps]`;
  const ignore = (server === "go" || client === "go") && !hasGoFrp();
  Deno.test({
    name: `lifecycle ${label} frpc reconnects after frps restarts`,
    ignore,
    async fn() {
      await using echo = startTcpEcho();
      const [bindPort, remotePort] = freePorts(2);
      const first = await startFrps({ impl: server, config: serverConfig(bindPort) });
      await using frpc = await startFrpc({
        impl: client,
        config: clientConfig(bindPort, echo.port, remotePort),
        waitFor: /\[life\] start proxy success/,
      });
      await withLogs([first, frpc], () => assertTunnel(remotePort));
      await first.kill();
      await using second = await startFrps({ impl: server, config: serverConfig(bindPort) });
      await withLogs([second, frpc], async () => {
        await waitForCount(frpc, /login to server success/, 2, 30_000);
        await waitForCount(frpc, /\[life\] start proxy success/, 2, 10_000);
        await assertTunnel(remotePort);
      });
    },
  });
}

Deno.test("lifecycle [ts frpc] loginFailExit=false keeps retrying until frps appears", async () => {
  await using echo = startTcpEcho();
  const [bindPort, remotePort] = freePorts(2);
  await using frpc = await startFrpc({
    impl: "ts",
    config: clientConfig(bindPort, echo.port, remotePort, { loginFailExit: false }),
    waitFor: /connect to server error/,
  });
  assert(frpc.status === undefined, "frpc must keep running after a failed first login");
  await using frps = await startFrps({ impl: "ts", config: serverConfig(bindPort) });
  await withLogs([frps, frpc], async () => {
    await frpc.waitForLine(/\[life\] start proxy success/, 20_000);
    await assertTunnel(remotePort);
  });
});

Deno.test("lifecycle [ts frpc] loginFailExit=true exits 1 when frps is unreachable", async () => {
  const [bindPort] = freePorts(1);
  await using frpc = await startFrpc({
    impl: "ts",
    config: clientConfig(bindPort, 1, 0),
    waitFor: null,
  });
  const status = await frpc.waitExit(20_000);
  assertEquals(status.code, 1);
  assert(
    frpc.lines.some((l) =>
      /login to the server failed: .*With loginFailExit enabled, no additional retries/.test(l)
    ),
    frpc.output(),
  );
});

for (const server of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `heartbeat [ts frpc → ${server} frps] tcpMux off: pings keep the session alive`,
    ignore: server === "go" && !hasGoFrp(),
    async fn() {
      await using echo = startTcpEcho();
      const [bindPort, remotePort] = freePorts(2);
      await using frps = await startFrps({
        impl: server,
        config: serverConfig(bindPort, { transport: { tcpMux: false, heartbeatTimeout: 2 } }),
      });
      await using frpc = await startFrpc({
        impl: "ts",
        config: clientConfig(bindPort, echo.port, remotePort, {
          transport: { tcpMux: false, heartbeatInterval: 1, heartbeatTimeout: 3 },
        }),
        waitFor: /\[life\] start proxy success/,
      });
      await new Promise((r) => setTimeout(r, 3500)); // longer than both timeouts
      await withLogs([frps, frpc], async () => {
        assert(!frps.lines.some((l) => /heartbeat timeout/.test(l)), "frps saw no pings");
        assert(!frpc.lines.some((l) => /heartbeat timeout/.test(l)), "frpc saw no pongs");
        assertEquals(frpc.lines.filter((l) => /login to server success/.test(l)).length, 1);
        await assertTunnel(remotePort);
      });
    },
  });
}

Deno.test("heartbeat [ts frps] tcpMux off: a client that never pings is dropped", async () => {
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({
    impl: "ts",
    config: serverConfig(bindPort, { transport: { tcpMux: false, heartbeatTimeout: 2 } }),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: bindPort });
  try {
    const timestamp = Math.floor(Date.now() / 1000);
    await conn.write(encodeMessage({
      type: "Login",
      body: {
        version: "0.70.1",
        privilege_key: privilegeKey(TOKEN, timestamp),
        timestamp,
        client_spec: {},
        pool_count: 0,
      },
    }));
    const resp = await readMessage(conn);
    assertEquals(resp.type, "LoginResp");
    assert(resp.type === "LoginResp" && !resp.body.error, "login must succeed");
    // Silent from here on: frps must close the control within ~heartbeatTimeout + 1 s.
    const buf = new Uint8Array(1024);
    await withTimeout(
      (async () => {
        for (;;) if ((await conn.read(buf).catch(() => null)) === null) return;
      })(),
      6000,
      "frps closing a silent control",
    );
    await frps.waitForLine(/heartbeat timeout/, 1000);
  } finally {
    conn.close();
  }
});

for (const server of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `proxy names are unique server-wide [ts frpc ×2 → ${server} frps]`,
    ignore: server === "go" && !hasGoFrp(),
    async fn() {
      await using echo = startTcpEcho();
      const [bindPort, portA, portB] = freePorts(3);
      await using frps = await startFrps({ impl: server, config: serverConfig(bindPort) });
      await using first = await startFrpc({
        impl: "ts",
        config: clientConfig(bindPort, echo.port, portA),
        waitFor: /\[life\] start proxy success/,
      });
      await using second = await startFrpc({
        impl: "ts",
        config: clientConfig(bindPort, echo.port, portB),
        waitFor: /\[life\] start error: proxy \[life\] already exists/,
      });
      await withLogs([frps, first, second], () => assertTunnel(portA));
    },
  });
}
