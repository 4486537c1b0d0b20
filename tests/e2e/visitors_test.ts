/**
 * stcp/sudp proxies and their visitors, with real processes: a proxy frpc (owning the secret
 * proxies), a visitor frpc (listening locally) and frps, each ours or Go frp's. Checks a 1 MiB
 * stcp round trip by SHA-256, a few concurrent stcp conns, sudp datagrams, encryption +
 * compression on both legs, and the rejections (wrong secretKey, allowUsers).
 */
import { assertEquals } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import {
  DEFAULT_GO_VERSION,
  hasGoFrp,
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
  startUdpEcho,
  tcpRoundTrip,
  udpRoundTrip,
} from "../_helpers/services.ts";
import { merge } from "../_helpers/tunnel_cases.ts";
import { frame, readFrame } from "../_helpers/frames.ts";

const TOKEN = "frp-test-token";
const SK = "visitor-secret";
const LOG = { level: "info", disablePrintColor: true };

/** Which implementation plays each of the three roles. */
interface Trio {
  server: Impl;
  proxyClient: Impl;
  visitorClient: Impl;
}

function label(t: Trio): string {
  return `frps ${t.server}, proxy frpc ${t.proxyClient}, visitor frpc ${t.visitorClient}`;
}

function needsGo(t: Trio): boolean {
  return t.server === "go" || t.proxyClient === "go" || t.visitorClient === "go";
}

function startServer(impl: Impl, bindPort: number, tcpMux = true): Promise<Proc> {
  return startFrps({
    impl,
    config: {
      bindAddr: "127.0.0.1",
      bindPort,
      auth: { token: TOKEN },
      log: LOG,
      transport: { tcpMux },
    },
  });
}

function clientBase(bindPort: number, user?: string, tcpMux = true): Record<string, unknown> {
  return {
    serverAddr: "127.0.0.1",
    serverPort: bindPort,
    ...(user ? { user } : {}),
    auth: { token: TOKEN },
    log: LOG,
    transport: { tcpMux },
  };
}

/** Resolves once every visitor of a (ts or Go) frpc reported its start. */
async function waitVisitors(frpc: Proc, n: number): Promise<void> {
  const deadline = Date.now() + 10000;
  while (frpc.lines.filter((l) => /start visitor success/.test(l)).length < n) {
    if (Date.now() > deadline) throw new Error(`${frpc.label}: visitors did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How a round-trip case differs from the default. */
interface Variant {
  /** useEncryption + useCompression on the proxies and the visitors. */
  secured?: boolean;
  /** @default true */
  tcpMux?: boolean;
  /** transport.wireProtocol of the proxy frpc and of the visitor frpc. @default v1, v1 */
  wire?: { proxy: "v1" | "v2"; visitor: "v1" | "v2" };
}

/** Round trips through an stcp and an sudp visitor for one trio. */
async function runRoundTrip(
  t: Trio,
  { secured = false, tcpMux = true, wire }: Variant,
): Promise<void> {
  const wireOf = (p: "v1" | "v2" | undefined) =>
    p === "v2" ? { transport: { wireProtocol: "v2" } } : {};
  const [bindPort, stcpBind] = freePorts(2);
  const sudpBind = await freeUdpPort();
  await using tcpEcho = startTcpEcho();
  await using udpEcho = await startUdpEcho();
  await using frps = await startServer(t.server, bindPort, tcpMux);
  const flags = secured ? { transport: { useEncryption: true, useCompression: true } } : {};
  await using proxyFrpc = await startFrpc({
    impl: t.proxyClient,
    label: `${t.proxyClient} proxy frpc`,
    config: {
      ...merge(clientBase(bindPort, undefined, tcpMux), wireOf(wire?.proxy)),
      proxies: [
        { name: "secret-tcp", type: "stcp", secretKey: SK, localPort: tcpEcho.port },
        { name: "secret-udp", type: "sudp", secretKey: SK, localPort: udpEcho.port },
      ].map((p) => merge({ ...p, localIP: "127.0.0.1" }, flags)),
    },
  });
  await using visitorFrpc = await startFrpc({
    impl: t.visitorClient,
    label: `${t.visitorClient} visitor frpc`,
    config: {
      ...merge(clientBase(bindPort, undefined, tcpMux), wireOf(wire?.visitor)),
      visitors: [
        { name: "v-tcp", type: "stcp", serverName: "secret-tcp", bindPort: stcpBind },
        { name: "v-udp", type: "sudp", serverName: "secret-udp", bindPort: sudpBind },
      ].map((v) => merge({ ...v, secretKey: SK, bindAddr: "127.0.0.1" }, flags)),
    },
  });
  await withLogs([frps, proxyFrpc, visitorFrpc], async () => {
    await proxyFrpc.waitForLine(/\[secret-tcp\] start proxy success/, 10000);
    await proxyFrpc.waitForLine(/\[secret-udp\] start proxy success/, 10000);
    await waitVisitors(visitorFrpc, 2);

    const big = randomBytes(1024 * 1024);
    const back = await tcpRoundTrip(stcpBind, big, 30000);
    assertEquals(back.length, big.length, "1 MiB stcp round trip: length");
    assertEquals(await sha256hex(back), await sha256hex(big), "1 MiB stcp round trip: sha256");

    const payloads = Array.from(
      { length: 8 },
      () => randomBytes(1 + Math.floor(Math.random() * 65536)),
    );
    const results = await Promise.all(payloads.map((p) => tcpRoundTrip(stcpBind, p, 20000)));
    for (const [i, r] of results.entries()) {
      assertEquals(await sha256hex(r), await sha256hex(payloads[i]), `concurrent stcp conn #${i}`);
    }

    const grams = [1, 100, 1000, 1400].map((n) => randomBytes(n));
    const echoed = await udpRoundTrip(sudpBind, grams);
    for (const [i, g] of grams.entries()) {
      assertEquals(await sha256hex(echoed[i]), await sha256hex(g), `sudp datagram #${i}`);
    }
    if (wire && wire.proxy !== wire.visitor) {
      await frps.waitForLine(
        new RegExp(
          `bridge mixed SUDP payload codecs, proxy wireProtocol \\[${wire.proxy}\\], visitor wireProtocol \\[${wire.visitor}\\]`,
        ),
        5000,
      );
    }
  });
}

const TRIOS: Trio[] = [
  { server: "ts", proxyClient: "ts", visitorClient: "ts" },
  { server: "ts", proxyClient: "go", visitorClient: "go" },
  { server: "go", proxyClient: "ts", visitorClient: "ts" },
  { server: "ts", proxyClient: "go", visitorClient: "ts" },
  { server: "ts", proxyClient: "ts", visitorClient: "go" },
];
const SECURED_TRIOS: Trio[] = [TRIOS[0], TRIOS[1], TRIOS[2]];

for (const t of TRIOS) {
  const skip = needsGo(t) && !hasGoFrp();
  Deno.test({
    name: `visitors [${label(t)}] stcp + sudp round trip${skip ? " (skipped: no Go frp)" : ""}`,
    ignore: skip,
    fn: () => runRoundTrip(t, {}),
  });
}
for (const t of SECURED_TRIOS) {
  const skip = needsGo(t) && !hasGoFrp();
  Deno.test({
    name: `visitors [${label(t)}] useEncryption + useCompression on both legs${
      skip ? " (skipped: no Go frp)" : ""
    }`,
    ignore: skip,
    fn: () => runRoundTrip(t, { secured: true }),
  });
}

for (const t of [TRIOS[0], TRIOS[2]]) {
  const skip = needsGo(t) && !hasGoFrp();
  Deno.test({
    name: `visitors [${label(t)}] tcpMux off${skip ? " (skipped: no Go frp)" : ""}`,
    ignore: skip,
    fn: () => runRoundTrip(t, { tcpMux: false }),
  });
}

// Wire protocol v2 (Go frp ≥ 0.69): both clients on v2, and mixed v1/v2 clients, where frps
// re-encodes the sudp messages between the two wire protocols.
const WIRE_VARIANTS: [Trio, "v1" | "v2", "v1" | "v2"][] = [
  [TRIOS[0], "v2", "v2"],
  [TRIOS[1], "v2", "v2"],
  [TRIOS[2], "v2", "v2"],
  [TRIOS[0], "v2", "v1"],
  [TRIOS[0], "v1", "v2"],
  [TRIOS[3], "v2", "v1"],
  [TRIOS[4], "v1", "v2"],
  [TRIOS[2], "v1", "v2"],
];
for (const [t, proxy, visitor] of WIRE_VARIANTS) {
  const skip = needsGo(t) && !hasGoFrp();
  Deno.test({
    name: `visitors [${label(t)}] wire ${proxy} proxy, ${visitor} visitor${
      skip ? " (skipped: no Go frp)" : ""
    }`,
    ignore: skip,
    fn: () => runRoundTrip(t, { wire: { proxy, visitor } }),
  });
}

/**
 * Rejections, checked against our frps and (for reference) Go's: alice owns three stcp proxies
 * (allowUsers [bob], ["*"], and empty = owner only); carol and bob visit. A rejected visitor
 * conn closes the user conn without data and the visitor frpc logs frps's error.
 */
async function runRejections(server: Impl): Promise<void> {
  const [bindPort, pOnlyBob, pAny, pOwner, pWrongSk, pBob] = freePorts(6);
  await using tcpEcho = startTcpEcho();
  await using frps = await startServer(server, bindPort);
  const proxy = (name: string, allowUsers?: string[]) => ({
    name,
    type: "stcp",
    secretKey: SK,
    localIP: "127.0.0.1",
    localPort: tcpEcho.port,
    ...(allowUsers ? { allowUsers } : {}),
  });
  await using alice = await startFrpc({
    impl: "ts",
    label: "ts frpc alice",
    config: {
      ...clientBase(bindPort, "alice"),
      proxies: [proxy("only-bob", ["bob"]), proxy("any", ["*"]), proxy("owner")],
    },
  });
  const visitor = (name: string, serverName: string, bindPort: number, secretKey = SK) => ({
    name,
    type: "stcp",
    serverUser: "alice",
    serverName,
    secretKey,
    bindAddr: "127.0.0.1",
    bindPort,
  });
  await using carol = await startFrpc({
    impl: "ts",
    label: "ts frpc carol",
    config: {
      ...clientBase(bindPort, "carol"),
      visitors: [
        visitor("to-only-bob", "only-bob", pOnlyBob),
        visitor("to-any", "any", pAny),
        visitor("to-owner", "owner", pOwner),
        visitor("wrong-sk", "any", pWrongSk, "not-the-secret"),
      ],
    },
  });
  await using bob = await startFrpc({
    impl: "ts",
    label: "ts frpc bob",
    config: {
      ...clientBase(bindPort, "bob"),
      visitors: [visitor("bob-to-only-bob", "only-bob", pBob)],
    },
  });
  await withLogs([frps, alice, carol, bob], async () => {
    for (const n of ["only-bob", "any", "owner"]) {
      await alice.waitForLine(new RegExp(`\\[${n}\\] start proxy success`), 10000);
    }
    await waitVisitors(carol, 4);
    await waitVisitors(bob, 1);
    const msg = randomBytes(1000);
    const ok = async (port: number, what: string) =>
      assertEquals(
        await sha256hex(await tcpRoundTrip(port, msg, 10000)),
        await sha256hex(msg),
        what,
      );
    const rejected = async (port: number, what: string) =>
      assertEquals((await tcpRoundTrip(port, msg, 15000)).length, 0, `${what}: no bytes expected`);

    await ok(pAny, "carol → alice.any (allowUsers *)");
    await ok(pBob, "bob → alice.only-bob (allowUsers [bob])");
    await rejected(pOnlyBob, "carol → alice.only-bob");
    await carol.waitForLine(
      "start new visitor connection error: visitor connection of [alice.only-bob] user [carol] not allowed",
      5000,
    );
    await rejected(pOwner, "carol → alice.owner (empty allowUsers)");
    await carol.waitForLine(
      "start new visitor connection error: visitor connection of [alice.owner] user [carol] not allowed",
      5000,
    );
    await rejected(pWrongSk, "carol with a wrong secretKey");
    await carol.waitForLine(
      "start new visitor connection error: visitor connection of [alice.any] auth failed",
      5000,
    );
  });
}

for (const server of ["ts", "go"] as const) {
  const skip = server === "go" && !hasGoFrp();
  Deno.test({
    name: `visitors [frps ${server}] wrong secretKey and allowUsers are rejected${
      skip ? ` (skipped: no Go frp ${DEFAULT_GO_VERSION})` : ""
    }`,
    ignore: skip,
    fn: () => runRejections(server),
  });
}

/** Raw NewVisitorConn frames (plain TCP, tcpMux off): frps's answer texts, ours vs Go's. */
async function runRawRejections(server: Impl): Promise<void> {
  const [bindPort] = freePorts(1);
  await using frps = await startServer(server, bindPort, false);
  await withLogs([frps], async () => {
    const ask = async (body: Record<string, unknown>) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: bindPort });
      try {
        await conn.write(frame("v", JSON.stringify(body)));
        return await readFrame(conn, 5000);
      } finally {
        conn.close();
      }
    };
    assertEquals(
      await ask({ run_id: "0123456789abcdef", proxy_name: "x", sign_key: "", timestamp: 1 }),
      {
        type: "3",
        body: { proxy_name: "x", error: "no client control found for run id [0123456789abcdef]" },
      },
      "unknown run id",
    );
    assertEquals(
      await ask({ proxy_name: "nope", sign_key: "", timestamp: 1 }),
      {
        type: "3",
        body: { proxy_name: "nope", error: "custom listener for [nope] doesn't exist" },
      },
      "unknown proxy, no run id",
    );
  });
}

for (const server of ["ts", "go"] as const) {
  const skip = server === "go" && !hasGoFrp();
  Deno.test({
    name: `visitors [frps ${server}] raw NewVisitorConn: unknown run id / proxy${
      skip ? " (skipped: no Go frp)" : ""
    }`,
    ignore: skip,
    fn: () => runRawRejections(server),
  });
}
