/**
 * xtcp through real NAT: Linux network namespaces, two MASQUERADE routers (iptables), our frps and
 * a STUN server on a "public" network, and our frpc proxy and visitor each behind its own NAT.
 *
 *     host A 10.231.1.2 ── 10.231.1.1 router A 198.18.1.2 ─┐
 *       frpc xtcp proxy + echo             (MASQUERADE)     ├─ 198.18.1.1 / 198.18.2.1 public
 *     host B 10.232.1.2 ── 10.232.1.1 router B 198.18.2.2 ─┘   198.18.0.1: frps :7000, STUN
 *       frpc xtcp visitor (127.0.0.1:9000)  (MASQUERADE)
 *
 * The public namespace also subtracts 8 from every packet's TTL, standing for the Internet's
 * many hops (frp's low-TTL punching packets must not reach the peer's NAT; see setup).
 *
 * Checks that frps saw the routers' public addresses (not the hosts' private ones) as the mapped
 * addresses, that the hole was punched between the two routers' public addresses (both frpc and
 * frps log it), and a 1 MiB round trip through the visitor's bindPort by SHA-256 (a client
 * script inside host B); over quic and kcp. Interop cases swap in Go frp v0.70.1 through the same
 * topology: Go frps as the broker (quic), a Go frpc xtcp proxy (quic), a Go frpc visitor (kcp);
 * Go logs the same analysis/report lines and "establishing nat hole connection successful". Needs
 * Linux, root, `ip netns` and iptables (and the Go build for the Go cases); skipped otherwise.
 * Every namespace (and with it every veth) is deleted afterwards.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import {
  hasGoFrp,
  type Impl,
  Proc,
  REPO_ROOT,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";

const TOKEN = "frp-test-token";
const SK = "xtcp-nat-secret";
const LOG = { level: "trace", disablePrintColor: true };
const CMD_TIMEOUT_MS = 10000;
/** Go frp build of the interop cases. */
const GO_VERSION = "v0.70.1";

const PUBLIC_IP = "198.18.0.1";
const ROUTER_A_WAN = "198.18.1.2";
const ROUTER_B_WAN = "198.18.2.2";
const HOST_A = "10.231.1.2";
const HOST_B = "10.232.1.2";
const FRPS_PORT = 7000;
const VISITOR_PORT = 9000;
/** Hops the public network subtracts from the TTL (see setup). */
const PUBLIC_HOPS = 8;

/** Runs a command with a deadline; returns its exit code and output. */
function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(CMD_TIMEOUT_MS),
  }).output().then(
    (o) => ({
      code: o.code,
      out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr),
    }),
    (e) => ({ code: -1, out: String(e) }),
  );
}

/** Like {@linkcode run} but throws on a non-zero exit. */
async function must(cmd: string, ...args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.code}: ${r.out}`);
  return r.out;
}

function runSync(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Why the test cannot run here, or undefined when it can. */
function skipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "not Linux";
  let uid: number | null = null;
  try {
    uid = Deno.uid();
  } catch { /* no --allow-sys */ }
  if (uid !== 0) return "not root";
  if (!runSync("iptables", ["--version"])) return "iptables missing";
  const probe = `frpxn-probe-${Deno.pid}`;
  if (!runSync("ip", ["netns", "add", probe])) return "`ip netns add` failed";
  try {
    // the kernel must offer what the routers use (nat MASQUERADE, mangle TTL)
    const ipt = (...args: string[]) => runSync("ip", ["netns", "exec", probe, "iptables", ...args]);
    if (!ipt("-t", "nat", "-A", "POSTROUTING", "-j", "MASQUERADE")) {
      return "iptables MASQUERADE unavailable";
    }
    if (!ipt("-t", "mangle", "-A", "PREROUTING", "-j", "TTL", "--ttl-dec", "1")) {
      return "iptables TTL target unavailable";
    }
  } finally {
    runSync("ip", ["netns", "del", probe]);
  }
  return undefined;
}

const SKIP = skipReason();
if (SKIP) console.warn(`xtcp NAT namespace tests skipped: ${SKIP}`);

/** The five namespaces of one run; names are unique per process and run. */
class Topology implements AsyncDisposable {
  readonly pub: string;
  readonly routerA: string;
  readonly routerB: string;
  readonly hostA: string;
  readonly hostB: string;
  readonly #created: string[] = [];

  constructor() {
    const id = `${Deno.pid.toString(36)}${
      crypto.getRandomValues(new Uint32Array(1))[0].toString(36).slice(0, 4)
    }`;
    this.pub = `frpxn-${id}-pub`;
    this.routerA = `frpxn-${id}-ra`;
    this.routerB = `frpxn-${id}-rb`;
    this.hostA = `frpxn-${id}-ha`;
    this.hostB = `frpxn-${id}-hb`;
  }

  async #ns(name: string): Promise<void> {
    await must("ip", "netns", "add", name);
    this.#created.push(name);
    await must("ip", "-n", name, "link", "set", "lo", "up");
  }

  /** A veth pair created directly inside the two namespaces (nothing in the host's). */
  async #link(ns1: string, if1: string, addr1: string, ns2: string, if2: string, addr2: string) {
    await must("ip", "link", "add", if1, "netns", ns1, "type", "veth", "peer", if2, "netns", ns2);
    await must("ip", "-n", ns1, "addr", "add", addr1, "dev", if1);
    await must("ip", "-n", ns2, "addr", "add", addr2, "dev", if2);
    await must("ip", "-n", ns1, "link", "set", if1, "up");
    await must("ip", "-n", ns2, "link", "set", if2, "up");
  }

  async #forwarding(ns: string): Promise<void> {
    await must("ip", "netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
  }

  async setup(): Promise<void> {
    for (const ns of [this.pub, this.routerA, this.routerB, this.hostA, this.hostB]) {
      await this.#ns(ns);
    }
    // public network: frps and STUN on 198.18.0.1, routed between both routers
    await must("ip", "-n", this.pub, "addr", "add", `${PUBLIC_IP}/32`, "dev", "lo");
    await this.#forwarding(this.pub);
    // The public network stands for many Internet hops: frp's low-TTL punching packets (TTL 7
    // or 4, meant to open the sender's own NAT without reaching the peer's) must die on the
    // way, as they do on the Internet. Reaching the peer router they would create a conntrack
    // entry there that makes its MASQUERADE pick another source port for the reply path.
    await must(
      "ip",
      "netns",
      "exec",
      this.pub,
      "iptables",
      "-t",
      "mangle",
      "-A",
      "PREROUTING",
      "-j",
      "TTL",
      "--ttl-dec",
      String(PUBLIC_HOPS),
    );
    const sides = [
      [this.routerA, this.hostA, "198.18.1", ROUTER_A_WAN, "10.231.1", HOST_A, "pa"],
      [this.routerB, this.hostB, "198.18.2", ROUTER_B_WAN, "10.232.1", HOST_B, "pb"],
    ] as const;
    for (const [router, host, wanNet, wanIp, lanNet, hostIp, pubIf] of sides) {
      await this.#link(this.pub, pubIf, `${wanNet}.1/24`, router, "wan", `${wanIp}/24`);
      await this.#link(router, "lan", `${lanNet}.1/24`, host, "eth0", `${hostIp}/24`);
      await must("ip", "-n", router, "route", "add", "default", "via", `${wanNet}.1`);
      await must("ip", "-n", host, "route", "add", "default", "via", `${lanNet}.1`);
      await this.#forwarding(router);
      await must(
        "ip",
        "netns",
        "exec",
        router,
        "iptables",
        "-t",
        "nat",
        "-A",
        "POSTROUTING",
        "-o",
        "wan",
        "-j",
        "MASQUERADE",
      );
    }
  }

  /** Kills whatever is left in our namespaces, then deletes them (and their veths). */
  async close(): Promise<void> {
    for (const ns of this.#created.reverse()) {
      const pids = (await run("ip", ["netns", "pids", ns])).out.split(/\s+/).filter((p) =>
        /^\d+$/.test(p)
      );
      for (const pid of pids) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch { /* gone */ }
      }
      const r = await run("ip", ["netns", "del", ns]);
      if (r.code !== 0) console.error(`ip netns del ${ns}: ${r.out}`);
    }
    this.#created.length = 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A child `deno run` inside `ns` (a peer script); resolves once `ready` was printed. */
async function spawnIn(
  ns: string,
  label: string,
  script: string,
  args: string[],
  flags: readonly string[],
  ready: RegExp | null,
): Promise<Proc> {
  const dir = await Deno.makeTempDir({ prefix: "frp-test-netns-" });
  const proc = new Proc(
    label,
    "ip",
    [
      "netns",
      "exec",
      ns,
      Deno.execPath(),
      "run",
      ...flags,
      `${REPO_ROOT}/${script}`,
      ...args,
    ],
    dir,
    "",
  );
  if (ready === null) return proc;
  try {
    await proc.waitForLine(ready, 20000);
  } catch (e) {
    await proc.kill();
    throw e;
  }
  return proc;
}

/** Which implementation runs the broker (frps), the xtcp proxy and the visitor in one case. */
interface NatCase {
  protocol: "quic" | "kcp";
  frps: Impl;
  proxy: Impl;
  visitor: Impl;
}

/** Registers one case: the topology, STUN, echo, frps, both frpc, round trip, and the checks. */
function natTest(c: NatCase): void {
  const { protocol } = c;
  const usesGo = c.frps === "go" || c.proxy === "go" || c.visitor === "go";
  const skip = SKIP ??
    (usesGo && !hasGoFrp(GO_VERSION) ? `Go frp ${GO_VERSION} not built` : undefined);
  const who = usesGo ? ` (frps ${c.frps}, proxy ${c.proxy}, visitor ${c.visitor})` : "";
  Deno.test({
    name:
      `xtcp ${protocol}${who} through two MASQUERADE NATs (network namespaces): hole punched, 1 MiB${
        skip ? ` [skipped: ${skip}]` : ""
      }`,
    ignore: skip !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using topo = new Topology();
      await topo.setup();
      const peerFlags = ["--allow-net"];
      await using stun = await spawnIn(
        topo.pub,
        "stun",
        "tests/_helpers/stun_server.ts",
        [PUBLIC_IP],
        peerFlags,
        /^STUN /,
      );
      const stunAddr = stun.lines.find((l) => l.startsWith("STUN "))!.slice(5);
      await using echo = await spawnIn(
        topo.hostA,
        "echo",
        "tests/_helpers/netns_peer.ts",
        ["echo"],
        peerFlags,
        /^ECHO \d+/,
      );
      const echoPort = Number(echo.lines.find((l) => l.startsWith("ECHO "))!.slice(5));
      await using frps = await startFrps({
        impl: c.frps,
        goVersion: GO_VERSION,
        netns: topo.pub,
        config: { bindAddr: PUBLIC_IP, bindPort: FRPS_PORT, auth: { token: TOKEN }, log: LOG },
      });
      const base = {
        serverAddr: PUBLIC_IP,
        serverPort: FRPS_PORT,
        auth: { token: TOKEN },
        natHoleStunServer: stunAddr,
        log: LOG,
      };
      await using proxy = await startFrpc({
        impl: c.proxy,
        goVersion: GO_VERSION,
        netns: topo.hostA,
        label: `${c.proxy} proxy frpc (host A)`,
        config: {
          ...base,
          proxies: [{
            name: "p2p",
            type: "xtcp",
            secretKey: SK,
            localIP: "127.0.0.1",
            localPort: echoPort,
          }],
        },
      });
      await proxy.waitForLine(/\[p2p\] start proxy success/);
      await using visitor = await startFrpc({
        impl: c.visitor,
        goVersion: GO_VERSION,
        netns: topo.hostB,
        label: `${c.visitor} visitor frpc (host B)`,
        config: {
          ...base,
          visitors: [{
            name: "p2p-visitor",
            type: "xtcp",
            serverName: "p2p",
            secretKey: SK,
            protocol,
            bindAddr: "127.0.0.1",
            bindPort: VISITOR_PORT,
          }],
        },
      });
      await visitor.waitForLine(/start visitor success/);
      await withLogs([frps, proxy, visitor, stun, echo], async () => {
        // The first user conn triggers the punch; the client script checks the SHA-256.
        const client = await spawnIn(
          topo.hostB,
          "roundtrip client (host B)",
          "tests/_helpers/netns_peer.ts",
          ["roundtrip", String(VISITOR_PORT), String(1 << 20), "45000"],
          peerFlags,
          null,
        );
        const status = await client.waitExit(60000);
        const line = client.lines.find((l) => l.startsWith("ROUNDTRIP ")) ?? "";
        const [, sent, got, shaSent, shaGot] = line.split(" ");
        assertEquals(
          [status.code, sent, got, shaGot],
          [0, String(1 << 20), String(1 << 20), shaSent],
          `1 MiB round trip via the visitor\n${client.output()}`,
        );
        await client.kill();

        // Each side's tunnel peer is the other router's public (NATed) address.
        const esc = (ip: string) => ip.replaceAll(".", "\\.");
        await visitor.waitForLine(
          new RegExp(
            `nat hole connection successful, sid \\[\\w+\\], remoteAddr \\[${
              esc(ROUTER_A_WAN)
            }:\\d+\\]`,
          ),
          10000,
        );
        await proxy.waitForLine(
          new RegExp(
            `nat hole connection successful, sid \\[\\w+\\], remoteAddr \\[${
              esc(ROUTER_B_WAN)
            }:\\d+\\]`,
          ),
          10000,
        );
        await frps.waitForLine(/report make hole success: true/, 10000);
        // frps saw the routers' public addresses, not the hosts' private ones: NAT happened.
        const analysis = await frps.waitForLine(/visitor nat: .*candidateAddrs: .*client nat:/);
        const m =
          /visitor nat: .*candidateAddrs: \[([^\]]*)\]; client nat: .*candidateAddrs: \[([^\]]*)\]/
            .exec(analysis);
        assert(m, `analysis line: ${analysis}`);
        const visitorMapped = m[1].split(" ").filter(Boolean);
        const clientMapped = m[2].split(" ").filter(Boolean);
        assert(visitorMapped.length > 0 && clientMapped.length > 0, analysis);
        for (const a of visitorMapped) assert(a.startsWith(`${ROUTER_B_WAN}:`), analysis);
        for (const a of clientMapped) assert(a.startsWith(`${ROUTER_A_WAN}:`), analysis);
        assert(!analysis.includes(HOST_A) && !analysis.includes(HOST_B), analysis);
      });
    },
  });
}

for (const protocol of ["quic", "kcp"] as const) {
  natTest({ protocol, frps: "ts", proxy: "ts", visitor: "ts" });
}
// Interop with Go frp through the same NATs. (A Go quic visitor cannot reach our QUIC proxy:
// rustls rejects the `ip:port` SNI Go sends, so that pairing is not tested.)
natTest({ protocol: "quic", frps: "go", proxy: "ts", visitor: "ts" });
natTest({ protocol: "quic", frps: "ts", proxy: "go", visitor: "ts" });
natTest({ protocol: "kcp", frps: "ts", proxy: "ts", visitor: "go" });
