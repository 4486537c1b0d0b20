/**
 * KCP transport end to end: real frps/frpc processes on 127.0.0.1, `kcpBindPort` on the same
 * number as bindPort (UDP vs TCP), frpc `transport.protocol = "kcp"`, tcpMux on and off, TLS
 * on (frp's default, TLS rides on the KCP stream) and off. Pairs: ours ↔ ours, Go frpc → our
 * frps, our frpc → Go frps (kcp-go v5.6.13 with FEC 10+3 on the Go side). Each case moves a
 * 1 MiB payload (SHA-256 checked) and 20 concurrent connections through a tcp proxy. A UDP relay
 * that drops datagrams proves ARQ + FEC recovery across implementations.
 */
import { deepStrictEqual as assertEquals } from "node:assert";
import dgram from "node:dgram";
import { freePort, freeUdpPort } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp, type Impl, startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";
import {
  randomBytes,
  sha256hex,
  startTcpEcho,
  tcpRoundTrip,
  withTimeout,
} from "../_helpers/services.ts";

const TOKEN = "kcp-test-token";
const BIG = 1024 * 1024;
const CONCURRENT = 20;

interface Case {
  server: Impl;
  client: Impl;
  tcpMux: boolean;
  tls?: boolean;
  /** Drop one datagram in this many, both ways, through a relay. */
  dropOneIn?: number;
  goVersion?: string;
}

/**
 * A UDP relay in front of frps's kcp port: one upstream socket per client address, dropping
 * every `dropOneIn`-th datagram (deterministic, so runs are reproducible).
 */
async function startLossyRelay(target: number, dropOneIn: number) {
  const front = dgram.createSocket("udp4");
  await new Promise<void>((r) => front.bind(0, "127.0.0.1", () => r()));
  const ups = new Map<string, dgram.Socket>();
  let n = 0;
  const stats = { forwarded: 0, dropped: 0 };
  const drop = () => ++n % dropOneIn === 0;
  front.on("message", (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = ups.get(key);
    if (!up) {
      if (ups.size >= 256) return; // bounded
      up = dgram.createSocket("udp4");
      up.bind(0, "127.0.0.1");
      up.on("message", (back) => {
        if (drop()) return void stats.dropped++;
        stats.forwarded++;
        front.send(back, rinfo.port, rinfo.address);
      });
      up.on("error", () => {});
      ups.set(key, up);
    }
    if (drop()) return void stats.dropped++;
    stats.forwarded++;
    up.send(msg, target, "127.0.0.1");
  });
  front.on("error", () => {});
  return {
    port: front.address().port,
    stats,
    close() {
      for (const u of ups.values()) u.close();
      front.close();
    },
  };
}

async function runCase(c: Case): Promise<void> {
  const port = await freeUdpPort(); // bindPort (TCP) and kcpBindPort (UDP) share the number
  const remote = freePort();
  await using echo = startTcpEcho();
  await using frps = await startFrps({
    impl: c.server,
    goVersion: c.goVersion,
    config: {
      bindAddr: "127.0.0.1",
      bindPort: port,
      kcpBindPort: port,
      proxyBindAddr: "127.0.0.1",
      transport: { tcpMux: c.tcpMux },
      auth: { token: TOKEN },
      log: { level: "info", disablePrintColor: true },
    },
  });
  await frps.waitForLine(new RegExp(`frps kcp listen on udp 127\\.0\\.0\\.1:${port}`), 5000);
  const relay = c.dropOneIn ? await startLossyRelay(port, c.dropOneIn) : undefined;
  try {
    await using frpc = await startFrpc({
      impl: c.client,
      goVersion: c.goVersion,
      timeoutMs: 30_000,
      config: {
        serverAddr: "127.0.0.1",
        serverPort: relay?.port ?? port,
        auth: { token: TOKEN },
        log: { level: "info", disablePrintColor: true },
        transport: {
          protocol: "kcp",
          tcpMux: c.tcpMux,
          tls: { enable: c.tls ?? true },
          // see the Go frps note below: pooled work connections ride out its accept stalls
          ...(c.server === "go" && !c.tcpMux ? { poolCount: 8 } : {}),
        },
        proxies: [{
          name: "echo",
          type: "tcp",
          localIP: "127.0.0.1",
          localPort: echo.port,
          remotePort: remote,
        }],
      },
    });
    await withLogs([frps, frpc], async () => {
      await frpc.waitForLine(/\[echo\] start proxy success/, 15_000);
      const big = randomBytes(BIG);
      const back = await tcpRoundTrip(remote, big, 60_000);
      assertEquals(back.length, BIG);
      assertEquals(await sha256hex(back), await sha256hex(big));
      if (c.server === "go" && !c.tcpMux) {
        // Go frps sniffs TLS on each new KCP session inside its accept loop (10 s read timeout),
        // and kcp-go's listener opens a session for any late datagram of a closed one (an ack,
        // a resend): such a phantom stalls every other work connection for 10 s. Go frpc shows
        // the same against Go frps, so here a work-connection pool serves a few sequential ones.
        for (let i = 0; i < 5; i++) {
          const p = randomBytes(8192 + i * 1000);
          const r = await tcpRoundTrip(remote, p, 30_000);
          assertEquals(await sha256hex(r), await sha256hex(p), `connection ${i}`);
        }
        return;
      }
      const n = c.dropOneIn ? CONCURRENT / 2 : CONCURRENT;
      await withTimeout(
        Promise.all(Array.from({ length: n }, async (_, i) => {
          const p = randomBytes(8192 + i * 1000);
          const r = await tcpRoundTrip(remote, p, 60_000);
          assertEquals(await sha256hex(r), await sha256hex(p), `connection ${i}`);
        })),
        90_000,
        `${n} concurrent connections`,
      );
      if (relay) {
        if (relay.stats.dropped === 0) throw new Error("the relay dropped nothing");
      }
    });
  } finally {
    relay?.close();
  }
}

const cases: (Case & { name: string })[] = [];
for (const tcpMux of [true, false]) {
  const mux = `tcpMux ${tcpMux ? "on" : "off"}`;
  cases.push(
    { name: `ts frpc → ts frps, ${mux}`, server: "ts", client: "ts", tcpMux },
    { name: `Go frpc → ts frps, ${mux}`, server: "ts", client: "go", tcpMux },
    { name: `ts frpc → Go frps, ${mux}`, server: "go", client: "ts", tcpMux },
  );
}
cases.push(
  { name: "ts frpc → ts frps, TLS off", server: "ts", client: "ts", tcpMux: true, tls: false },
  { name: "Go frpc → ts frps, TLS off", server: "ts", client: "go", tcpMux: true, tls: false },
  {
    name: "ts → ts through a relay dropping 1 in 20",
    server: "ts",
    client: "ts",
    tcpMux: true,
    dropOneIn: 20,
  },
  {
    name: "ts frpc → Go frps, 1 in 20 dropped",
    server: "go",
    client: "ts",
    tcpMux: true,
    dropOneIn: 20,
  },
  {
    name: "Go frpc → ts frps, 1 in 20 dropped",
    server: "ts",
    client: "go",
    tcpMux: true,
    dropOneIn: 20,
  },
);

cases.push(
  {
    name: "Go v0.62.1 frpc → ts frps",
    server: "ts",
    client: "go",
    tcpMux: true,
    goVersion: "v0.62.1",
  },
  {
    name: "ts frpc → Go v0.62.1 frps",
    server: "go",
    client: "ts",
    tcpMux: true,
    goVersion: "v0.62.1",
  },
);

for (const c of cases) {
  const needsGo = c.server === "go" || c.client === "go";
  const goMissing = needsGo && !hasGoFrp(c.goVersion);
  Deno.test({
    name: `kcp: ${c.name}`,
    ignore: !hasTsFrp() || goMissing,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => runCase(c),
  });
}
if (!hasGoFrp()) {
  console.warn("kcp_test: Go frp binaries missing (.cache/gofrp/…); interop cases skipped");
}

Deno.test({
  name: "kcp: garbage on kcpBindPort neither crashes frps nor blocks a real frpc",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = await freeUdpPort();
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindAddr: "127.0.0.1",
        bindPort: port,
        kcpBindPort: port,
        auth: { token: TOKEN },
        log: { level: "info", disablePrintColor: true },
      },
    });
    const s = dgram.createSocket("udp4");
    try {
      const send = (b: Uint8Array) =>
        new Promise<void>((r) => s.send(b, port, "127.0.0.1", () => r()));
      for (let i = 0; i < 400; i++) {
        const b = randomBytes(i % 90 + (i % 9 === 0 ? 1400 : 0));
        if (i % 4 === 0 && b.length >= 8) b[4] = 0xf1 + (i % 8 === 0 ? 1 : 0), b[5] = 0;
        if (i % 6 === 0 && b.length >= 24) b[4] = 81 + (i % 4), b[5] = 0; // KCP-shaped junk
        await send(b);
      }
    } finally {
      s.close();
    }
    await using frpc = await startFrpc({
      impl: "ts",
      config: {
        serverAddr: "127.0.0.1",
        serverPort: port,
        auth: { token: TOKEN },
        transport: { protocol: "kcp" },
      },
    });
    await withLogs([frps, frpc], () => {
      if (frps.status) throw new Error("frps exited");
      return Promise.resolve();
    });
  },
});
