/**
 * Settings that are easy to accept and forget (issue 8): the unsupported-setting warnings at
 * start and in `verify`, `dnsServer` (an in-test DNS server on 127.0.0.1), TCP keep-alive on
 * both ends of the frpc→frps connection (read from /proc/net/tcp), and `--config_dir`.
 * Each also against Go frp v0.70.1 where Go has the feature.
 */
import dgram from "node:dgram";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "../_helpers/permissions.ts";
import {
  goFrpPath,
  hasGoFrp,
  type Impl,
  REPO_ROOT,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
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

/** Runs `<bin> <args…>` (ours or Go) to completion; stdout+stderr and exit code. */
async function run(impl: Impl, bin: "frps" | "frpc", args: string[]) {
  const cmd = impl === "go" ? goFrpPath(bin) : Deno.execPath();
  const main = `${REPO_ROOT}/${bin === "frps" ? "server" : "client"}/main.ts`;
  const flags = bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
  const out = await new Deno.Command(cmd, {
    args: impl === "go" ? args : ["run", "--quiet", ...flags, main, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(20_000),
  }).output();
  const dec = new TextDecoder();
  // stdout only: Deno's own "DANGER: TLS certificate validation…" notice goes to stderr.
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

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
  transport: { dialServerKeepalive: 600 },
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
      const c = await run("ts", "frpc", ["verify", "-c", `${dir}/frpc.toml`]);
      assertEquals(c.code, 0, c.out);
      assertEquals(c.out.trim().split("\n"), [
        ...CLIENT_WARNINGS,
        `frpc: the configuration file ${dir}/frpc.toml syntax is ok`,
      ]);
      const s = await run("ts", "frps", ["verify", "-c", `${dir}/frps.toml`]);
      assertEquals(s.code, 0, s.out);
      assertEquals(s.out.trim().split("\n"), [
        "WARNING: webServer.pprofEnable is not supported by this implementation (Go's pprof has no Deno equivalent); ignored",
        "WARNING: transport.tcpKeepalive = 60: TCP keep-alive is enabled but Deno cannot set its interval; the OS default (usually 7200 s) is used",
        `frps: the configuration file ${dir}/frps.toml syntax is ok`,
      ]);
      if (!hasGoFrp()) return;
      for (const bin of ["frpc", "frps"] as const) {
        const file = bin === "frpc" ? "go-frpc.toml" : "frps.toml";
        const g = await run("go", bin, ["verify", "-c", `${dir}/${file}`]);
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
