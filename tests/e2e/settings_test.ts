/**
 * Settings that are easy to accept and forget (issue 8): the unsupported-setting warnings at
 * start and in `verify`, `dnsServer` (an in-test DNS server on 127.0.0.1), TCP keep-alive on
 * both ends of the frpc→frps connection (read from /proc/net/tcp), and `--config_dir`.
 * Each also against Go frp v0.70.1 where Go has the feature.
 */
import dgram from "node:dgram";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { hasGoFrp, runToEnd, startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";
import { toToml } from "../_helpers/toml.ts";

const TOKEN = "settings-token";
const serverConfig = (bindPort: number, extra: Record<string, unknown> = {}) => ({
  bindAddr: "127.0.0.1",
  bindPort,
  auth: { token: TOKEN },
  ...extra,
});
const clientConfig = (bindPort: number, extra: Record<string, unknown> = {}) => ({
  serverAddr: "127.0.0.1",
  serverPort: bindPort,
  auth: { token: TOKEN },
  loginFailExit: true,
  ...extra,
});

async function withTempFiles<T>(
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "frp-settings-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

// ------------------------------------------------------------------ warnings

const UNSUPPORTED_CLIENT = {
  ...clientConfig(7000),
  featureGates: { VirtualNet: true },
  virtualNet: { address: "100.86.0.1/24" },
  webServer: { pprofEnable: true },
  transport: { dialServerKeepalive: 600, proxyURL: "ntlm://u:p@127.0.0.1:1" },
  proxies: [{ name: "vnet", type: "stcp", secretKey: "k", plugin: { type: "virtual_net" } }],
  visitors: [{
    name: "vnet-visitor",
    type: "stcp",
    serverName: "vnet",
    secretKey: "k",
    bindPort: -1,
    plugin: { type: "virtual_net", destinationIP: "100.86.0.2" },
  }],
};
const CLIENT_WARNINGS = [
  "WARNING: webServer.pprofEnable is not supported by this implementation (Go's pprof has no Deno equivalent); ignored",
  "WARNING: transport.proxyURL of type ntlm is not supported by this implementation (no NTLM proxy authentication); connecting to frps will fail",
  "WARNING: virtualNet.address is not supported by this implementation (no TUN device support in Deno); ignored",
  "WARNING: transport.dialServerKeepalive = 600: TCP keep-alive is enabled but Deno cannot set its interval; the OS default (usually 7200 s) is used",
  "WARNING: proxy vnet: plugin virtual_net is not supported by this implementation (no TUN device support in Deno); ignored",
  "WARNING: visitor vnet-visitor: plugin virtual_net is not supported by this implementation (visitor plugins are not implemented); ignored",
];

Deno.test("settings: verify names every unsupported setting once (Go accepts the same files)", async () => {
  const frps = serverConfig(7000, {
    webServer: { pprofEnable: true },
    transport: { tcpKeepalive: 60 },
  });
  // Go's `verify` does not apply featureGates, so it rejects any virtualNet.address: Go checks
  // the rest of the file without it.
  const { virtualNet: _, ...goClient } = UNSUPPORTED_CLIENT;
  await withTempFiles(
    {
      "frpc.toml": toToml(UNSUPPORTED_CLIENT),
      "frps.toml": toToml(frps),
      "go-frpc.toml": toToml(goClient),
    },
    async (dir) => {
      const c = await runToEnd("ts", "frpc", ["verify", "-c", `${dir}/frpc.toml`]);
      assertEquals(c.code, 0, c.out);
      assertEquals(c.out.trim().split("\n"), [
        ...CLIENT_WARNINGS,
        `frpc: the configuration file ${dir}/frpc.toml syntax is ok`,
      ]);
      const s = await runToEnd("ts", "frps", ["verify", "-c", `${dir}/frps.toml`]);
      assertEquals(s.code, 0, s.out);
      assertEquals(s.out.trim().split("\n"), [
        "WARNING: webServer.pprofEnable is not supported by this implementation (Go's pprof has no Deno equivalent); ignored",
        "WARNING: transport.tcpKeepalive = 60: TCP keep-alive is enabled but Deno cannot set its interval; the OS default (usually 7200 s) is used",
        `frps: the configuration file ${dir}/frps.toml syntax is ok`,
      ]);
      if (!hasGoFrp()) return;
      for (const bin of ["frpc", "frps"] as const) {
        const file = bin === "frpc" ? "go-frpc.toml" : "frps.toml";
        const g = await runToEnd("go", bin, ["verify", "-c", `${dir}/${file}`]);
        assertEquals(g.code, 0, g.out);
        assert(g.out.includes("syntax is ok"), g.out);
      }
    },
  );
});

Deno.test("settings: frps and frpc log each unsupported setting at warn level at start", async () => {
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({
    impl: "ts",
    config: serverConfig(bindPort, { webServer: { pprofEnable: true } }),
  });
  await using frpc = await startFrpc({
    impl: "ts",
    config: clientConfig(bindPort, { webServer: { pprofEnable: true } }),
  });
  await withLogs([frps, frpc], () => {
    for (const p of [frps, frpc]) {
      const hits = p.lines.filter((l) => l.includes("webServer.pprofEnable is not supported"));
      assertEquals(hits.length, 1);
      assert(/\[W\]/.test(hits[0]), hits[0]);
    }
    return Promise.resolve();
  });
});

// ------------------------------------------------------------------ dnsServer

// Not `.invalid`: Deno's resolver (hickory) answers RFC 6761 `.invalid` names itself, never asking.
const FAKE_NAME = "frps.frp.test";

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP): `FAKE_NAME` A → 127.0.0.1, no AAAA,
 * NXDOMAIN for any other name. Counts the queries for `FAKE_NAME`.
 */
async function startDns(): Promise<{ port: number; hits: () => number } & AsyncDisposable> {
  const port = await freeUdpPort();
  const sock = dgram.createSocket("udp4");
  let hits = 0;
  sock.on("message", (q: Uint8Array, rinfo: { address: string; port: number }) => {
    if (q.length < 17) return;
    let i = 12;
    const labels: string[] = [];
    while (i < q.length && q[i] !== 0 && labels.length < 64) {
      labels.push(new TextDecoder().decode(q.subarray(i + 1, i + 1 + q[i])));
      i += q[i] + 1;
    }
    const qEnd = i + 5; // zero byte, qtype, qclass
    if (qEnd > q.length) return;
    const qtype = (q[i + 1] << 8) | q[i + 2];
    const name = labels.join(".").toLowerCase();
    const known = name === FAKE_NAME;
    if (known) hits++;
    const answer = known && qtype === 1
      ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]
      : [];
    const head = [
      q[0],
      q[1],
      0x84 | (q[2] & 1), // QR, AA, RD copied
      known ? 0x80 : 0x83, // RA; NXDOMAIN for unknown names
      0,
      1,
      0,
      answer.length ? 1 : 0,
      0,
      0,
      0,
      0,
    ];
    const resp = new Uint8Array([...head, ...q.subarray(12, qEnd), ...answer]);
    sock.send(resp, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(port, "127.0.0.1", () => resolve()));
  return {
    port,
    hits: () => hits,
    [Symbol.asyncDispose]: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

for (const client of ["ts", "go"] as const) {
  Deno.test({
    name: `settings: [${client} frpc → ts frps] dnsServer resolves serverAddr`,
    ignore: client === "go" && !hasGoFrp(),
    async fn() {
      await using dns = await startDns();
      const [bindPort] = freePorts(1);
      await using frps = await startFrps({ impl: "ts", config: serverConfig(bindPort) });
      await using frpc = await startFrpc({
        impl: client,
        config: clientConfig(bindPort, {
          serverAddr: FAKE_NAME,
          dnsServer: `127.0.0.1:${dns.port}`,
        }),
      });
      await withLogs([frps, frpc], () => {
        assert(dns.hits() > 0, "the DNS server was never asked");
        return Promise.resolve();
      });
    },
  });
}

Deno.test("settings: without dnsServer the made-up name does not resolve (ours and Go)", async () => {
  await using dns = await startDns();
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({ impl: "ts", config: serverConfig(bindPort) });
  for (const client of hasGoFrp() ? ["ts", "go"] as const : ["ts"] as const) {
    await using frpc = await startFrpc({
      impl: client,
      config: clientConfig(bindPort, { serverAddr: FAKE_NAME }),
      waitFor: null,
    });
    const status = await frpc.waitExit(20_000);
    await withLogs([frps, frpc], () => {
      assertEquals(status.code, 1);
      assert(frpc.lines.some((l) => l.includes(FAKE_NAME)), "error names the host");
      return Promise.resolve();
    });
  }
  assertEquals(dns.hits(), 0);
});

// ------------------------------------------------------------------ TCP keep-alive

/** /proc/net/tcp{,6} rows as [localPort, remotePort, timerActive] for established conns. */
async function tcpTimers(): Promise<Array<[number, number, number]>> {
  const out: Array<[number, number, number]> = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    // Via cat: Deno wants --allow-all to read /proc/net directly.
    const r = await new Deno.Command("cat", { args: [f], stdout: "piped", stderr: "null" })
      .output();
    const text = new TextDecoder().decode(r.stdout);
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 6 || cols[3] !== "01") continue; // 01 = ESTABLISHED
      const port = (a: string) => parseInt(a.slice(a.lastIndexOf(":") + 1), 16);
      out.push([port(cols[1]), port(cols[2]), parseInt(cols[5].split(":")[0], 16)]);
    }
  }
  return out;
}

/**
 * The keep-alive state of the frpc→frps connection on `bindPort`: [frps side, frpc side], true
 * when the kernel's keep-alive timer (timer_active 2) is armed. Polled: a heartbeat in flight
 * briefly shows the retransmit timer instead.
 */
async function keepAliveState(bindPort: number, want: [boolean, boolean]) {
  let got: [boolean, boolean] = [false, false];
  for (let i = 0; i < 30; i++) {
    const rows = await tcpTimers();
    const server = rows.find((r) => r[0] === bindPort);
    const client = rows.find((r) => r[1] === bindPort);
    if (server && client) {
      got = [server[2] === 2, client[2] === 2];
      if (got[0] === want[0] && got[1] === want[1]) return got;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

for (const impl of ["ts", "go"] as const) {
  Deno.test({
    name: `settings: [${impl}] tcpKeepalive / dialServerKeepalive set SO_KEEPALIVE (negative: off)`,
    ignore: impl === "go" && !hasGoFrp(),
    async fn() {
      for (const sec of [7200, -1]) {
        const [bindPort] = freePorts(1);
        await using frps = await startFrps({
          impl,
          config: serverConfig(bindPort, { transport: { tcpKeepalive: sec } }),
        });
        await using frpc = await startFrpc({
          impl,
          config: clientConfig(bindPort, { transport: { dialServerKeepalive: sec } }),
        });
        const want: [boolean, boolean] = [sec > 0, sec > 0];
        const got = await keepAliveState(bindPort, want);
        await withLogs([frps, frpc], () => {
          assertEquals(
            got,
            want,
            `keepalive ${sec}: [frps, frpc]`,
          );
          return Promise.resolve();
        });
      }
    },
  });
}

// ------------------------------------------------------------------ --config_dir

for (const impl of ["ts", "go"] as const) {
  Deno.test({
    name: `settings: [${impl} frpc → ts frps] --config_dir runs one client per file`,
    ignore: impl === "go" && !hasGoFrp(),
    async fn() {
      const [bindPort] = freePorts(1);
      await using frps = await startFrps({ impl: "ts", config: serverConfig(bindPort) });
      const proxy = (name: string) => ({ name, type: "tcp", localPort: 1, remotePort: 0 });
      const a = { ...clientConfig(bindPort), user: "alice", proxies: [proxy("a")] };
      const b = { ...clientConfig(bindPort), user: "bob", proxies: [proxy("b")] };
      // startFrpc writes its own -c file; --config_dir takes precedence over it (as in Go).
      const dir = await Deno.makeTempDir({ prefix: "frp-settings-dir-" });
      try {
        await Deno.writeTextFile(`${dir}/a.toml`, toToml(a));
        await Deno.mkdir(`${dir}/sub`);
        await Deno.writeTextFile(`${dir}/sub/b.toml`, toToml(b));
        await using frpc = await startFrpc({
          impl,
          config: clientConfig(1),
          args: ["--config_dir", dir],
          waitFor: null,
        });
        await withLogs([frps, frpc], async () => {
          // frps registers both clients' proxies, and frpc logged in twice.
          for (const name of ["alice.a", "bob.b"]) {
            await frps.waitForLine(new RegExp(`new proxy \\[${name.replace(".", "\\.")}\\]`));
          }
          const logins = () => frpc.lines.filter((l) => /login to server success/.test(l)).length;
          for (let i = 0; i < 50 && logins() < 2; i++) await new Promise((r) => setTimeout(r, 100));
          assertEquals(logins(), 2);
        });
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}
