/**
 * The frps side of xtcp (NAT hole punching broker) with real processes on 127.0.0.1: Go frpc
 * owning an xtcp proxy, Go frpc running the xtcp visitor (STUN discovery against the local
 * server in tests/_helpers/stun_server.ts), and frps — Go frps first, as the reference, then
 * ours. Checks a 1 MiB SHA-256 round trip and concurrent conns through the punched tunnel
 * (quic and kcp), the frps lines about the analysis, Go's rejection texts as the visitor logs
 * them (wrong secretKey, user not in allowUsers, unknown proxy), the dashboard's xtcp listing,
 * and that frps keeps serving after malformed NatHole messages.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  GO_VERSIONS,
  hasGoFrp,
  hasTsFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import {
  randomBytes,
  sha256hex,
  startTcpEcho,
  tcpRoundTrip,
  withTimeout,
} from "../_helpers/services.ts";
import { startStunServer, type StunServer } from "../_helpers/stun_server.ts";
import { encodeMessage, readMessage } from "../../protocol/msg/frame_v1.ts";
import { cryptoDuplex, deriveKey, privilegeKey } from "../../protocol/crypto/mod.ts";
import type { Message } from "../../protocol/msg/messages.ts";

const TOKEN = "frp-test-token";
const SK = "xtcp-secret";
const DASH = { user: "admin", password: "admin" };

/**
 * frpc offers its non-loopback IPv4 interface addresses as "assisted" candidates and, on one
 * host, the hole is made on one of them (the traffic still never leaves the machine).
 */
const HAS_LAN_IPV4 = Deno.networkInterfaces().some((i) =>
  i.family === "IPv4" && !i.address.startsWith("127.")
);

function skip(server: Impl, goVersion: string): string | undefined {
  if (!HAS_LAN_IPV4) return "no non-loopback IPv4 interface for frpc's assisted addresses";
  if (!hasGoFrp(goVersion)) return `Go frp ${goVersion} not built; run scripts/get_go_frp.sh`;
  if (server === "ts" && !hasTsFrp()) return "server/main.ts does not exist";
  return undefined;
}

function startServer(
  impl: Impl,
  bindPort: number,
  dashPort?: number,
  tcpMux = true,
): Promise<Proc> {
  return startFrps({
    impl,
    config: {
      bindAddr: "127.0.0.1",
      bindPort,
      auth: { token: TOKEN },
      transport: { tcpMux },
      log: { level: "debug", disablePrintColor: true },
      ...(dashPort ? { webServer: { addr: "127.0.0.1", port: dashPort, ...DASH } } : {}),
    },
  });
}

function clientBase(
  bindPort: number,
  stun: StunServer,
  user?: string,
  tcpMux = true,
  wire?: "v2",
): Record<string, unknown> {
  return {
    serverAddr: "127.0.0.1",
    serverPort: bindPort,
    ...(user ? { user } : {}),
    transport: { tcpMux, ...(wire ? { wireProtocol: wire } : {}) },
    auth: { token: TOKEN },
    natHoleStunServer: stun.addr,
    log: { level: "debug", disablePrintColor: true },
  };
}

interface ProxyOpts {
  user?: string;
  tcpMux?: boolean;
  wire?: "v2";
  allowUsers?: string[];
  name?: string;
}

function startProxyFrpc(
  goVersion: string,
  bindPort: number,
  stun: StunServer,
  localPort: number,
  o: ProxyOpts = {},
): Promise<Proc> {
  return startFrpc({
    impl: "go",
    goVersion,
    label: `go ${goVersion} proxy frpc`,
    config: {
      ...clientBase(bindPort, stun, o.user, o.tcpMux, o.wire),
      proxies: [{
        name: o.name ?? "p2p",
        type: "xtcp",
        secretKey: SK,
        localIP: "127.0.0.1",
        localPort,
        ...(o.allowUsers ? { allowUsers: o.allowUsers } : {}),
      }],
    },
    waitFor: /start proxy success/,
  });
}

interface VisitorOpts {
  user?: string;
  tcpMux?: boolean;
  wire?: "v2";
  serverUser?: string;
  serverName?: string;
  secretKey?: string;
  protocol?: string;
}

function startVisitorFrpc(
  goVersion: string,
  bindPort: number,
  stun: StunServer,
  visitorPort: number,
  o: VisitorOpts = {},
): Promise<Proc> {
  return startFrpc({
    impl: "go",
    goVersion,
    label: `go ${goVersion} visitor frpc`,
    config: {
      ...clientBase(bindPort, stun, o.user, o.tcpMux, o.wire),
      visitors: [{
        name: "p2p-visitor",
        type: "xtcp",
        serverName: o.serverName ?? "p2p",
        ...(o.serverUser ? { serverUser: o.serverUser } : {}),
        secretKey: o.secretKey ?? SK,
        bindAddr: "127.0.0.1",
        bindPort: visitorPort,
        ...(o.protocol ? { protocol: o.protocol } : {}),
      }],
    },
    waitFor: /start visitor success/,
  });
}

/** The text after `[file:line] [runid] [name] `, for comparing log lines across runs. */
function logText(line: string): string {
  return line.replace(/^\S+ \S+ \[\w\] \[[^\]]+\] (\[[0-9a-f]+\] )?(\[[^\]]+\] )?/, "");
}

/** 1 MiB through the visitor's bindPort, then 4 concurrent 64 KiB conns; SHA-256 checked. */
async function roundTrips(visitorPort: number): Promise<void> {
  const big = randomBytes(1 << 20);
  const got = await tcpRoundTrip(visitorPort, big, 30000);
  assertEquals(await sha256hex(got), await sha256hex(big), "1 MiB round trip");
  const small = Array.from({ length: 4 }, () => randomBytes(64 << 10));
  const echoed = await Promise.all(small.map((p) => tcpRoundTrip(visitorPort, p, 30000)));
  for (let i = 0; i < small.length; i++) {
    assertEquals(await sha256hex(echoed[i]), await sha256hex(small[i]), `concurrent conn ${i}`);
  }
}

/** The frps lines describing one session's analysis, without sids/ports (Go vs ours). */
function analysisLines(frps: Proc): string[] {
  return frps.lines
    .filter((l) => /visitor nat:|detect behavior:|report make hole success/.test(l))
    .map((l) =>
      logText(l).replace(/sid \[\w+\]/, "sid [S]").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:P")
    );
}

async function dashboardXtcp(port: number): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/api/proxy/xtcp`, {
    headers: { authorization: `Basic ${btoa(`${DASH.user}:${DASH.password}`)}` },
    signal: AbortSignal.timeout(10000),
  });
  assertEquals(res.status, 200, "GET /api/proxy/xtcp");
  const body = await res.json();
  // volatile values
  for (const p of body.proxies ?? []) {
    p.lastStartTime = p.lastStartTime ? "T" : "";
    p.lastCloseTime = p.lastCloseTime ? "T" : "";
    p.clientID = p.clientID ? "ID" : "";
  }
  return body;
}

const reference = new Map<string, { analysis: string[]; dashboard: unknown }>();

/** One tunnel row: Go frpc version, the visitor's tunnel protocol, each frpc's wire protocol. */
interface Row {
  goVersion: string;
  protocol: "quic" | "kcp";
  proxyWire?: "v2";
  visitorWire?: "v2";
}

const ROWS: Row[] = [
  ...GO_VERSIONS.flatMap((goVersion) =>
    (["quic", "kcp"] as const).map((protocol) => ({ goVersion, protocol }))
  ),
  // wire protocol v2 (v0.70.1 only): NatHoleSid on a v2 work conn, NatHole* in v2 frames
  { goVersion: GO_VERSIONS[0], protocol: "quic", proxyWire: "v2", visitorWire: "v2" },
  { goVersion: GO_VERSIONS[0], protocol: "quic", proxyWire: "v2" },
];

function rowLabel(r: Row): string {
  const wire = r.proxyWire || r.visitorWire
    ? `, wire ${r.proxyWire ?? "v1"}/${r.visitorWire ?? "v1"}`
    : "";
  return `Go frpc ${r.goVersion} proxy + visitor, ${r.protocol} tunnel${wire}`;
}

for (const row of ROWS) {
  for (const server of ["go", "ts"] as const) {
    const key = rowLabel(row);
    Deno.test({
      name: `xtcp: frps ${server}, ${key}`,
      ignore: skip(server, row.goVersion) !== undefined,
      fn: async () => {
        const { goVersion, protocol } = row;
        const [bindPort, visitorPort, dashPort] = freePorts(3);
        await using echo = startTcpEcho();
        await using stun = await startStunServer();
        await using frps = await startServer(server, bindPort, dashPort);
        await using proxy = await startProxyFrpc(goVersion, bindPort, stun, echo.port, {
          wire: row.proxyWire,
        });
        await using visitor = await startVisitorFrpc(goVersion, bindPort, stun, visitorPort, {
          protocol,
          wire: row.visitorWire,
        });
        await withLogs([frps, proxy, visitor], async () => {
          await roundTrips(visitorPort);
          await visitor.waitForLine(/establishing nat hole connection successful/, 5000);
          await frps.waitForLine(/report make hole success: true, mode 0, index 0/, 10000);
          assert(stun.requests() >= 4, "both frpc used the local STUN server");
          const analysis = analysisLines(frps);
          const dashboard = await dashboardXtcp(dashPort);
          if (Deno.env.get("XTCP_DEBUG")) console.log(analysis, JSON.stringify(dashboard));
          if (server === "go") {
            reference.set(key, { analysis, dashboard });
            return;
          }
          const ref = reference.get(key);
          if (!ref) return; // the Go frps run was skipped or failed
          assertEquals(analysis, ref.analysis, "frps analysis log lines (Go frps vs ours)");
          assertEquals(dashboard, ref.dashboard, "/api/proxy/xtcp (Go frps vs ours)");
        });
      },
    });
  }
}

/** The visitor's rejection line for each bad request, per frps implementation. */
const rejections = new Map<Impl, string[]>();

for (const server of ["go", "ts"] as const) {
  Deno.test({
    name: `xtcp: frps ${server} rejects wrong secretKey, users outside allowUsers, unknown proxies`,
    ignore: skip(server, GO_VERSIONS[0]) !== undefined,
    fn: async () => {
      const go = GO_VERSIONS[0];
      const [bindPort, p1, p2, p3, p4] = freePorts(5);
      await using echo = startTcpEcho();
      await using stun = await startStunServer();
      await using frps = await startServer(server, bindPort);
      // alice's proxy admits bob only (allowUsers replaces the owner-only default)
      await using proxy = await startProxyFrpc(go, bindPort, stun, echo.port, {
        user: "alice",
        allowUsers: ["bob"],
      });
      const cases: Array<[string, VisitorOpts, number, RegExp]> = [
        [
          "wrong secretKey",
          { user: "bob", serverUser: "alice", secretKey: "nope" },
          p1,
          /exchange info error/,
        ],
        ["user not allowed", { user: "carol", serverUser: "alice" }, p2, /precheck error/],
        ["unknown proxy", { user: "bob", serverName: "missing" }, p3, /precheck error/],
      ];
      const lines: string[] = [];
      for (const [what, opts, port, re] of cases) {
        await using visitor = await startVisitorFrpc(go, bindPort, stun, port, opts);
        await withLogs([frps, proxy, visitor], async () => {
          // a user conn starts the hole punching; it is dropped once the tunnel fails
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          try {
            const line = await visitor.waitForLine(re, 15000);
            lines.push(`${what}: ${logText(line)}`);
          } finally {
            conn.close();
          }
        });
      }
      // frps is unharmed: bob still gets through
      await using bob = await startVisitorFrpc(go, bindPort, stun, p4, {
        user: "bob",
        serverUser: "alice",
      });
      await withLogs([frps, proxy, bob], () => roundTrips(p4));
      rejections.set(server, lines);
      if (Deno.env.get("XTCP_DEBUG")) console.log(lines.join("\n"));
      const ref = rejections.get("go");
      if (server === "ts" && ref) assertEquals(lines, ref, "visitor rejection lines (Go vs ours)");
      if (server === "ts") {
        assertEquals(lines, [
          "wrong secretKey: nathole exchange info error: natHoleRespMsg get error info: " +
          "xtcp connection of [alice.p2p] auth failed",
          "user not allowed: nathole precheck error: xtcp visitor user [carol] not allowed for [alice.p2p]",
          "unknown proxy: nathole precheck error: xtcp server for [bob.missing] doesn't exist",
        ]);
      }
    },
  });
}

/** A bare control session over plain TCP (tcpMux off) for sending raw NatHole messages. */
interface RawControl {
  send(m: Message): Promise<void>;
  /** Sends an arbitrary v1 frame body (for malformed JSON). */
  sendRaw(type: string, json: string): Promise<void>;
  /** The next message, or null when frps closed the session. */
  read(): Promise<Message | null>;
  close(): void;
}

async function rawControl(bindPort: number, user: string): Promise<RawControl> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: bindPort });
  const ts = Math.floor(Date.now() / 1000);
  await writeAll(
    conn,
    encodeMessage({
      type: "Login",
      body: {
        version: "0.70.1",
        user,
        privilege_key: privilegeKey(TOKEN, ts),
        timestamp: ts,
        pool_count: 0,
        client_spec: {},
      },
    }),
  );
  const resp = await readMessage(conn);
  if (resp.type !== "LoginResp" || resp.body.error) {
    throw new Error(`login: ${JSON.stringify(resp)}`);
  }
  const ctl = cryptoDuplex(conn, deriveKey(TOKEN));
  return {
    send: (m) => writeAll(ctl, encodeMessage(m)),
    sendRaw: (type, json) => {
      const body = new TextEncoder().encode(json);
      const f = new Uint8Array(9 + body.length);
      f[0] = type.charCodeAt(0);
      new DataView(f.buffer).setBigInt64(1, BigInt(body.length));
      f.set(body, 9);
      return writeAll(ctl, f);
    },
    read: () => readMessage(ctl).catch(() => null),
    close: () => ctl.close(),
  };
}

async function writeAll(
  w: { write(p: Uint8Array): Promise<number> },
  p: Uint8Array,
): Promise<void> {
  for (let off = 0; off < p.length;) off += await w.write(p.subarray(off));
}

/** Raw NatHole messages and what each frps answered, per implementation. */
const rawAnswers = new Map<Impl, string[]>();

for (const server of ["go", "ts"] as const) {
  Deno.test({
    name: `xtcp: frps ${server} survives malformed NatHole messages on a control session`,
    ignore: skip(server, GO_VERSIONS[0]) !== undefined,
    fn: async () => {
      const go = GO_VERSIONS[0];
      const [bindPort, visitorPort] = freePorts(2);
      await using echo = startTcpEcho();
      await using stun = await startStunServer();
      await using frps = await startServer(server, bindPort, undefined, false);
      await using proxy = await startProxyFrpc(go, bindPort, stun, echo.port, {
        user: "alice",
        tcpMux: false,
      });
      const answers: string[] = [];
      await withLogs([frps, proxy], async () => {
        const raw = await rawControl(bindPort, "mallory");
        try {
          const ts = Math.floor(Date.now() / 1000);
          const ask = async (what: string, m: Message, expectAnswer = true) => {
            await raw.send(m);
            if (!expectAnswer) return;
            const r = await withTimeout(raw.read(), 20000, what);
            answers.push(`${what}: ${r ? JSON.stringify(r) : "closed"}`);
          };
          await ask("empty visitor", { type: "NatHoleVisitor", body: {} });
          await ask("pre-check, not allowed", {
            type: "NatHoleVisitor",
            body: { transaction_id: "a", proxy_name: "alice.p2p", pre_check: true },
          });
          await ask("bad sign key", {
            type: "NatHoleVisitor",
            body: { transaction_id: "b", proxy_name: "alice.p2p", sign_key: "x", timestamp: ts },
          });
          await ask("unknown sid", { type: "NatHoleClient", body: { sid: "nope" } }, false);
          await ask("unknown report", { type: "NatHoleReport", body: { sid: "nope" } }, false);
          // a correctly signed visitor with nonsense addresses: alice's frpc answers, the
          // analysis fails, both sides get the classify error
          await ask("bad addresses", {
            type: "NatHoleVisitor",
            body: {
              transaction_id: "c",
              proxy_name: "alice.p2p",
              sign_key: privilegeKey(SK, ts),
              timestamp: ts,
              mapped_addrs: ["x", "y:1"],
            },
          });
          // a wrongly typed field ends this session (Go: json decode error), nothing else
          await raw.sendRaw("i", '{"mapped_addrs":5}');
          answers.push(
            `wrong type: ${(await withTimeout(raw.read(), 20000, "close")) ?? "closed"}`,
          );
        } finally {
          raw.close();
        }
        await proxy.waitForLine(/classify visitor nat feature error/, 10000);
        // alice's proxy and frps still work for a real visitor
        await using visitor = await startVisitorFrpc(go, bindPort, stun, visitorPort, {
          user: "alice",
          serverUser: "alice",
          tcpMux: false,
        });
        await withLogs([visitor], () => roundTrips(visitorPort));
      });
      rawAnswers.set(server, answers);
      if (Deno.env.get("XTCP_DEBUG")) console.log(answers.join("\n"));
      const ref = rawAnswers.get("go");
      if (server === "ts" && ref) assertEquals(answers, ref, "answers (Go frps vs ours)");
    },
  });
}
