/**
 * One shared case table for TCP/UDP tunnels, run for every (frps impl, frpc impl) pair by
 * tests/e2e/tunnel_test.ts (ts+ts) and tests/interop/interop_test.ts (ts↔go, go+go).
 */
import { assertEquals } from "./assert.ts";
import { freePorts, freeUdpPort } from "./ports.ts";
import { makeTestPki, type TestPki } from "./pki.ts";
import {
  DEFAULT_GO_VERSION,
  hasGoFrp,
  hasTsFrp,
  type Impl,
  startFrpc,
  startFrps,
  withLogs,
} from "./proc.ts";
import {
  randomBytes,
  sha256hex,
  startTcpEcho,
  startUdpEcho,
  tcpRoundTrip,
  udpRoundTrip,
} from "./services.ts";

/** What a case's config builders get. */
export interface CaseContext {
  bindPort: number;
  /** A free UDP port for frps's quicBindPort. */
  quicPort: number;
  token: string;
  /** Present when the case set `needsPki`. */
  pki?: TestPki;
}

/** One row of the table: how frps, frpc and the proxies differ from the plain default. */
export interface TunnelCase {
  name: string;
  /** Create CA/server/client certificates first. @default false */
  needsPki?: boolean;
  /** Extra frps config merged into the base. */
  server?: (ctx: CaseContext) => Record<string, unknown>;
  /** Extra frpc config merged into the base. */
  client?: (ctx: CaseContext) => Record<string, unknown>;
  /** Extra per-proxy config merged into each proxy. */
  proxy?: Record<string, unknown>;
  /** Oldest Go frp that supports the case (pairs with an older Go side are skipped). */
  minGoVersion?: string;
  /** Check frps's dashboard (`/api/clients`) reports this wire protocol for the client. */
  expectWireProtocol?: "v1" | "v2";
}

/** The shared cases. */
export const TUNNEL_CASES: readonly TunnelCase[] = [
  { name: "default (TLS + tcpMux)" },
  { name: "tls off", client: () => ({ transport: { tls: { enable: false } } }) },
  {
    name: "tcpMux off",
    server: () => ({ transport: { tcpMux: false } }),
    client: () => ({ transport: { tcpMux: false } }),
  },
  {
    name: "useEncryption + useCompression",
    proxy: { transport: { useEncryption: true, useCompression: true } },
  },
  { name: "poolCount=5", client: () => ({ transport: { poolCount: 5 } }) },
  { name: "websocket transport", client: () => ({ transport: { protocol: "websocket" } }) },
  {
    name: "quic transport",
    server: (c) => ({ quicBindPort: c.quicPort }),
    client: (c) => ({ serverPort: c.quicPort, transport: { protocol: "quic" } }),
  },
  {
    name: "mutual TLS",
    needsPki: true,
    server: ({ pki }) => ({
      transport: {
        tls: { certFile: pki!.serverCert, keyFile: pki!.serverKey, trustedCaFile: pki!.caCert },
      },
    }),
    client: ({ pki }) => ({
      transport: {
        tls: {
          certFile: pki!.clientCert,
          keyFile: pki!.clientKey,
          trustedCaFile: pki!.caCert,
          serverName: "127.0.0.1",
        },
      },
    }),
  },
  {
    // frps detects v2 per logical connection by its magic; Go frp speaks v2 since 0.69.
    name: "wire protocol v2",
    client: () => ({ transport: { wireProtocol: "v2" } }),
    minGoVersion: "v0.69.0",
    expectWireProtocol: "v2",
  },
];

/** An (frps impl, frpc impl) pair. */
export interface TunnelPair {
  server: Impl;
  client: Impl;
  /** Go frp version for the go side(s). @default DEFAULT_GO_VERSION */
  goVersion?: string;
}

/** e.g. "go v0.70.1 frpc → ts frps". */
export function pairLabel(p: TunnelPair): string {
  const v = p.goVersion ?? DEFAULT_GO_VERSION;
  const side = (impl: Impl, bin: string) => impl === "go" ? `go ${v} ${bin}` : `ts ${bin}`;
  return `${side(p.client, "frpc")} → ${side(p.server, "frps")}`;
}

/** Why a pair cannot run here, or undefined when it can. */
export function pairSkipReason(p: TunnelPair): string | undefined {
  const v = p.goVersion ?? DEFAULT_GO_VERSION;
  if ((p.server === "go" || p.client === "go") && !hasGoFrp(v)) {
    return `Go frp ${v} not built; run scripts/get_go_frp.sh ${v}`;
  }
  if ((p.server === "ts" || p.client === "ts") && !hasTsFrp()) {
    return "server/main.ts or client/main.ts does not exist yet";
  }
  return undefined;
}

/** "v0.62.1" → [0, 62, 1]. */
function versionParts(v: string): number[] {
  return v.replace(/^v/, "").split(".").map((x) => parseInt(x, 10) || 0);
}

function olderThan(v: string, min: string): boolean {
  const a = versionParts(v);
  const b = versionParts(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** Why a case cannot run for a pair (beyond {@link pairSkipReason}), or undefined. */
export function caseSkipReason(p: TunnelPair, c: TunnelCase): string | undefined {
  const v = p.goVersion ?? DEFAULT_GO_VERSION;
  const hasGo = p.server === "go" || p.client === "go";
  if (hasGo && c.minGoVersion && olderThan(v, c.minGoVersion)) {
    return `Go frp ${v} predates this feature (needs ${c.minGoVersion})`;
  }
  return undefined;
}

/** Deep-merges plain objects (arrays and scalars in `b` replace those in `a`). */
export function merge(
  a: Record<string, unknown>,
  b: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) {
    const cur = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> =>
      typeof x === "object" && x !== null && !Array.isArray(x);
    out[k] = isObj(cur) && isObj(v) ? merge(cur, v) : v;
  }
  return out;
}

const CONCURRENT = 50;
const BIG = 1024 * 1024;

/** Runs one case for one pair: starts everything, checks TCP (1 MiB + 50 parallel) and UDP. */
export async function runTunnelCase(pair: TunnelPair, c: TunnelCase): Promise<void> {
  const goVersion = pair.goVersion ?? DEFAULT_GO_VERSION;
  let pkiDir: string | undefined;
  try {
    const ctx: CaseContext = { bindPort: 0, quicPort: 0, token: "frp-test-token" };
    if (c.needsPki) {
      pkiDir = await Deno.makeTempDir({ prefix: "frp-test-pki-" });
      ctx.pki = await makeTestPki(pkiDir);
    }
    const [bindPort, tcpRemote, webPort] = freePorts(3);
    const udpRemote = await freeUdpPort();
    ctx.bindPort = bindPort;
    ctx.quicPort = await freeUdpPort();

    await using tcpEcho = startTcpEcho();
    await using udpEcho = await startUdpEcho();

    const serverBase = {
      bindAddr: "127.0.0.1",
      bindPort,
      proxyBindAddr: "127.0.0.1",
      auth: { token: ctx.token },
      log: { level: "info", disablePrintColor: true },
      ...(c.expectWireProtocol ? { webServer: { addr: "127.0.0.1", port: webPort } } : {}),
    };
    await using frps = await startFrps({
      impl: pair.server,
      goVersion,
      config: merge(serverBase, c.server?.(ctx)),
    });

    const proxies = [
      { name: "tcp-echo", type: "tcp", localPort: tcpEcho.port, remotePort: tcpRemote },
      { name: "udp-echo", type: "udp", localPort: udpEcho.port, remotePort: udpRemote },
    ].map((p) => merge({ ...p, localIP: "127.0.0.1" }, c.proxy));
    const clientBase = {
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      auth: { token: ctx.token },
      log: { level: "info", disablePrintColor: true },
      proxies,
    };
    let frpc;
    try {
      frpc = await startFrpc({
        impl: pair.client,
        goVersion,
        config: merge(clientBase, c.client?.(ctx)),
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${frps.output()}`);
    }
    await using _frpc = frpc;

    await withLogs([frps, frpc], async () => {
      await frpc.waitForLine(/\[tcp-echo\] start proxy success/, 10000);
      await frpc.waitForLine(/\[udp-echo\] start proxy success/, 10000);

      // One 1 MiB payload, checked by SHA-256.
      const big = randomBytes(BIG);
      const back = await tcpRoundTrip(tcpRemote, big, 30000);
      assertEquals(back.length, big.length, "1 MiB round trip: length");
      assertEquals(await sha256hex(back), await sha256hex(big), "1 MiB round trip: sha256");

      // 50 concurrent connections with random payloads.
      const payloads = Array.from(
        { length: CONCURRENT },
        () => randomBytes(1 + Math.floor(Math.random() * 32768)),
      );
      const results = await Promise.allSettled(payloads.map((p) => tcpRoundTrip(tcpRemote, p)));
      const bad: string[] = [];
      for (const [i, r] of results.entries()) {
        if (r.status === "rejected") bad.push(`#${i}: ${r.reason}`);
        else if (await sha256hex(r.value) !== await sha256hex(payloads[i])) {
          bad.push(`#${i}: sent ${payloads[i].length} bytes, got ${r.value.length} (sha differs)`);
        }
      }
      assertEquals(bad, [], `${CONCURRENT} concurrent tcp round trips`);

      // A few UDP datagrams.
      const grams = [1, 100, 1000, 1400].map((n) => randomBytes(n));
      const echoed = await udpRoundTrip(udpRemote, grams);
      for (const [i, g] of grams.entries()) {
        assertEquals(await sha256hex(echoed[i]), await sha256hex(g), `udp datagram #${i}`);
      }

      if (c.expectWireProtocol) {
        const res = await fetch(`http://127.0.0.1:${webPort}/api/clients`);
        const body = await res.json();
        const clients = Array.isArray(body) ? body : body.clients ?? body.items ?? [];
        const online = clients.filter((x: { online?: boolean }) => x.online);
        assertEquals(
          online.map((x: { wireProtocol?: string }) => x.wireProtocol),
          [c.expectWireProtocol],
          `frps /api/clients: wireProtocol (${JSON.stringify(body)})`,
        );
      }
    });
  } finally {
    if (pkiDir) await Deno.remove(pkiDir, { recursive: true }).catch(() => {});
  }
}

/** Registers one Deno.test per (pair, case); pairs that cannot run here are ignored. */
export function registerTunnelTests(pairs: TunnelPair[], prefix = "tunnel"): void {
  for (const pair of pairs) {
    const pairSkip = pairSkipReason(pair);
    for (const c of TUNNEL_CASES) {
      const skip = pairSkip ?? caseSkipReason(pair, c);
      Deno.test({
        name: `${prefix} [${pairLabel(pair)}] ${c.name}${skip ? ` (skipped: ${skip})` : ""}`,
        ignore: skip !== undefined,
        fn: () => runTunnelCase(pair, c),
      });
    }
  }
}
