/**
 * frpc quick proxies (behaviour.md §13.3): `frpc tcp …` and `frpc stcp [visitor] …` built from
 * flags give working tunnels (our frps and Go frps); `--help`, flag errors and validation
 * errors are compared with Go frpc's output byte for byte.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  goFrpPath,
  hasGoFrp,
  hasTsFrp,
  type Impl,
  Proc,
  REPO_ROOT,
  startFrps,
} from "../_helpers/proc.ts";
import { FRPC_FLAGS } from "../_helpers/permissions.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";

const TOKEN = "quick-token";
const enc = new TextEncoder();

async function spawnFrpc(impl: Impl, args: string[]): Promise<Proc> {
  const dir = await Deno.makeTempDir({ prefix: "frp-test-quick-" });
  return impl === "go" ? new Proc("go frpc (quick)", goFrpPath("frpc"), args, dir, "") : new Proc(
    "ts frpc (quick)",
    Deno.execPath(),
    ["run", ...FRPC_FLAGS, `${REPO_ROOT}/client/main.ts`, ...args],
    dir,
    "",
  );
}

/** Runs frpc to completion; stdout and stderr together. */
async function runFrpc(impl: Impl, args: string[]): Promise<{ code: number; out: string }> {
  await using p = await spawnFrpc(impl, args);
  const st = await p.waitExit(20000);
  const out = p.lines.filter((l) => !l.startsWith("DANGER: TLS")).join("\n");
  return { code: st.code, out };
}

async function tcpTunnel(server: Impl): Promise<void> {
  const [bindPort, remotePort] = freePorts(2);
  await using frps = await startFrps({
    impl: server,
    config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } },
  });
  await using echo = startTcpEcho();
  await using frpc = await spawnFrpc("ts", [
    "tcp",
    "-s",
    "127.0.0.1",
    "-P",
    String(bindPort),
    "-t",
    TOKEN,
    "-l",
    String(echo.port),
    "-r",
    String(remotePort),
    "-n",
    "quick",
    "--ue",
    "--uc=true",
    "--user",
    "qa",
  ]);
  try {
    await frpc.waitForLine(/\[quick\] start proxy success/, 15000);
    const data = enc.encode("quick tunnel");
    assertEquals(await tcpRoundTrip(remotePort, data), data);
    // no config file: Go logs no "start frpc service for config file" line
    assert(!frpc.lines.some((l) => l.includes("for config file")), frpc.output());
  } catch (err) {
    throw new Error(`${err}\n${frps.output()}\n${frpc.output()}`);
  }
}

for (const server of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `quick proxy: frpc tcp … gives a working tunnel (${server} frps)`,
    ignore: !hasTsFrp() || (server === "go" && !hasGoFrp()),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => tcpTunnel(server),
  });
}

Deno.test({
  name: "quick proxy: frpc stcp + frpc stcp visitor (our frps)",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const [bindPort, visitorPort] = freePorts(2);
    await using frps = await startFrps({
      impl: "ts",
      config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } },
    });
    await using echo = startTcpEcho();
    const common = ["-P", String(bindPort), "-t", TOKEN];
    await using provider = await spawnFrpc("ts", [
      "stcp",
      ...common,
      "-n",
      "secret",
      "--sk",
      "s3cret",
      "--local_port",
      String(echo.port),
    ]);
    await using visitor = await spawnFrpc("ts", [
      "stcp",
      "visitor",
      ...common,
      "-n",
      "vis",
      "--server_name",
      "secret",
      "--sk=s3cret",
      "--bind-port",
      String(visitorPort),
    ]);
    try {
      await provider.waitForLine(/\[secret\] start proxy success/, 15000);
      await visitor.waitForLine(/start visitor success|login to server success/, 15000);
      const data = enc.encode("via the visitor");
      let got: Uint8Array = new Uint8Array();
      for (let i = 0; i < 20 && got.length === 0; i++) {
        got = await tcpRoundTrip(visitorPort, data).catch(() => new Uint8Array());
        if (got.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      assertEquals(got, data);
    } catch (err) {
      throw new Error(`${err}\n${frps.output()}\n${provider.output()}\n${visitor.output()}`);
    }
  },
});

const SAME_AS_GO: string[][] = [
  ["tcp", "--help"],
  ["udp", "-h"],
  ["http", "--help"],
  ["https", "--help"],
  ["tcpmux", "--help"],
  ["stcp", "--help"],
  ["sudp", "--help"],
  ["xtcp", "--help"],
  ["stcp", "visitor", "--help"],
  ["sudp", "visitor", "--help"],
  ["tcp", "--bogus"],
  ["tcp", "-l", "abc"],
  ["tcp", "-n", "x", "-l", "1", "--metadatas", "a"],
  ["tcp", "-n", "x", "-l", "1", "--ue=maybe"],
  ["http", "-n", "x", "-l", "1", "--bandwidth_limit", "1XB"],
  ["stcp", "visitor", "-P"],
  ["tcp"],
  ["tcp", "-n", "x", "-l", "70000"],
  ["http", "-n", "x", "-l", "1"],
  ["tcpmux", "-n", "x", "-l", "1", "-d", "a.example"],
  ["stcp", "visitor", "-n", "v"],
  ["sudp", "visitor", "-n", "v", "--server-name", "s"],
  ["tcp", "-n", "x", "-l", "1", "-p", "bogus"],
  ["tcp", "-n", "x", "-l", "1", "--log_level", "loud"],
];

Deno.test({
  name: "quick proxy: help, flag errors and validation errors match Go frpc (text + exit code)",
  ignore: !hasTsFrp() || !hasGoFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    for (const args of SAME_AS_GO) {
      const [go, ts] = await Promise.all([runFrpc("go", args), runFrpc("ts", args)]);
      assertEquals(ts, go, `frpc ${args.join(" ")}`);
    }
    const bad = await runFrpc("ts", ["tcp", "--bogus"]);
    assertEquals(bad.code, 1);
    assert(bad.out.startsWith("Error: unknown flag: --bogus\nUsage:\n  frpc tcp [flags]"), bad.out);
  },
});
