/**
 * Starting an frps+frpc pair (Go frp or ours, in any combination) with the bench configs.
 * Only 127.0.0.1 is used.
 */
import { FRPC_FLAGS, FRPS_FLAGS } from "../../cli/permissions.ts";
import { freePort, freePorts } from "../../tests/_helpers/ports.ts";
import {
  FRPC_READY,
  FRPS_READY,
  goFrpPath,
  type Impl,
  Proc,
  REPO_ROOT,
} from "../../tests/_helpers/proc.ts";
import { toToml } from "../../tests/_helpers/toml.ts";
import { listeningPorts, live, probe, sleep } from "./tools.ts";

/** A server/client combination; names are `<frps impl>-<frpc impl>`. */
export interface Pair {
  name: string;
  server: Impl;
  client: Impl;
}

/** All pairs, Go+Go (the reference) first. */
export const PAIRS: readonly Pair[] = [
  { name: "go-go", server: "go", client: "go" },
  { name: "ts-ts", server: "ts", client: "ts" },
  { name: "go-ts", server: "go", client: "ts" },
  { name: "ts-go", server: "ts", client: "go" },
];

/** Config variant of one setup. */
export interface Variant {
  /** transport.tcpMux on both sides. @default true */
  tcpMux?: boolean;
  /** transport.useEncryption + transport.useCompression on the proxy. @default false */
  encrypt?: boolean;
  /** Register one http vhost proxy instead of tcp proxies. @default false */
  http?: boolean;
  /** Number of tcp proxies. @default 1 */
  proxies?: number;
  /** Number of http vhost proxies, domain `d<i>.bench.local` each (http variant). @default 1 */
  domains?: number;
  /** transport.protocol of frpc (quic also sets frps quicBindPort). @default "tcp" */
  protocol?: "tcp" | "websocket" | "quic";
  /** Raise the soft open-files limit of frps and frpc to the hard limit (scale cases). */
  raiseNofile?: boolean;
}

/** Host name of the http vhost proxy. */
export const VHOST = "bench.local";

/** Host name of vhost proxy `i` of a many-domains setup ({@linkcode Variant.domains}). */
export function vhostDomain(i: number): string {
  return `d${i}.${VHOST}`;
}

/** A running pair. */
export interface Setup {
  frps: Proc;
  frpc: Proc;
  /** Remote ports of the tcp proxies (empty for http). */
  remotePorts: number[];
  /** frps vhostHTTPPort (http variant only). */
  vhostPort?: number;
  /** Milliseconds from spawning frpc until every proxy answered. */
  upMs: number;
  close(): Promise<void>;
}

/** Options of {@linkcode startPair}. */
export interface PairOptions {
  goVersion: string;
  /** Directory for `--cpu-prof` output of our processes; no profiling when unset. */
  cpuProfDir?: string;
}

async function spawn(
  bin: "frps" | "frpc",
  impl: Impl,
  config: Record<string, unknown>,
  opts: PairOptions,
  raiseNofile = false,
): Promise<Proc> {
  const dir = await Deno.makeTempDir({ prefix: `frp-bench-${bin}-` });
  const configPath = `${dir}/${bin}.toml`;
  await Deno.writeTextFile(configPath, toToml(config));
  let cmd: string;
  let args: string[];
  if (impl === "go") {
    cmd = goFrpPath(bin, opts.goVersion);
    args = ["-c", configPath];
  } else {
    const flags = bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
    const main = bin === "frps" ? "server/main.ts" : "client/main.ts";
    const prof = opts.cpuProfDir
      ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=${bin}.cpuprofile`]
      : [];
    // Our binaries die by SIGTERM as Go's; this makes them exit normally so V8 writes the profile.
    if (opts.cpuProfDir) Deno.env.set("FRP_TS_EXIT_ON_SIGNAL", "1");
    cmd = Deno.execPath();
    args = ["run", ...flags, ...prof, `${REPO_ROOT}/${main}`, "-c", configPath];
  }
  if (raiseNofile) {
    // Deno keeps the inherited soft limit (Go raises it itself); exec keeps the pid.
    args = ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', cmd, ...args];
    cmd = "sh";
  }
  const proc = new Proc(`${impl} ${bin}`, cmd, args, dir, configPath);
  live.add(proc);
  return proc;
}

/**
 * Starts frps, then frpc, and waits until every proxy answers (tcp: all remote ports listen and
 * the first one echoes; http: a GET through the vhost port returns the backend's body).
 */
export async function startPair(
  pair: Pair,
  variant: Variant,
  backendPort: number,
  opts: PairOptions,
): Promise<Setup> {
  const tcpMux = variant.tcpMux ?? true;
  const bindPort = freePort();
  const vhostPort = variant.http ? freePort() : undefined;
  const nProxies = variant.http ? 0 : variant.proxies ?? 1;
  const protocol = variant.protocol ?? "tcp";
  const quicPort = protocol === "quic" ? freePort() : undefined;
  // Many proxies take ports below the ephemeral range: a port picked from it can be taken by
  // another program before frps binds it (frpc then retries only after 30 s), and the scale
  // case's connections need two ephemeral ports each.
  const remotePorts = nProxies > 10 ? scanPorts(nProxies, SCAN_FROM) : freePorts(nProxies);
  const token = "bench-token";
  const log = { level: "info", to: "console", disablePrintColor: true };
  const frpsConfig: Record<string, unknown> = {
    bindAddr: "127.0.0.1",
    bindPort,
    proxyBindAddr: "127.0.0.1",
    auth: { token },
    log,
    transport: { tcpMux },
    ...(vhostPort ? { vhostHTTPPort: vhostPort } : {}),
    ...(quicPort ? { quicBindPort: quicPort } : {}),
  };
  const proxyTransport = variant.encrypt ? { useEncryption: true, useCompression: true } : {};
  const domains = variant.domains ?? 1;
  const proxies = variant.http
    ? Array.from({ length: domains }, (_, i) => ({
      name: `web${i}`,
      type: "http",
      localIP: "127.0.0.1",
      localPort: backendPort,
      customDomains: [domains === 1 ? VHOST : vhostDomain(i)],
    }))
    : remotePorts.map((remotePort, i) => ({
      name: `bench${i}`,
      type: "tcp",
      localIP: "127.0.0.1",
      localPort: backendPort,
      remotePort,
      ...(variant.encrypt ? { transport: proxyTransport } : {}),
    }));
  const frpcConfig: Record<string, unknown> = {
    serverAddr: "127.0.0.1",
    serverPort: quicPort ?? bindPort,
    loginFailExit: true,
    auth: { token },
    log,
    transport: { tcpMux, ...(protocol !== "tcp" ? { protocol } : {}) },
    proxies,
  };

  const raise = variant.raiseNofile ?? false;
  const frps = await spawn("frps", pair.server, frpsConfig, opts, raise);
  let frpc: Proc | undefined;
  let t0 = 0;
  const close = async () => {
    await Promise.allSettled([frpc?.kill(), frps.kill()]);
    live.delete(frps);
    if (frpc) live.delete(frpc);
  };
  try {
    await frps.waitForLine(FRPS_READY, 20_000);
    t0 = performance.now();
    frpc = await spawn("frpc", pair.client, frpcConfig, opts, raise);
    await frpc.waitForLine(FRPC_READY, 20_000 + nProxies * 10);
    const deadline = Date.now() + (variant.http ? 10_000 : 20_000) + (nProxies + domains) * 100;
    if (variant.http) {
      const last = domains === 1 ? VHOST : vhostDomain(domains - 1);
      while (
        !(await probe(vhostPort!, last, 2000)) ||
        !(await probe(vhostPort!, vhostFirst(domains), 2000))
      ) {
        if (Date.now() > deadline) throw new Error("http vhost proxy never answered");
        if (frps.status || frpc.status) throw new Error("frps/frpc exited");
        await sleep(200);
      }
    } else {
      while (true) {
        const listening = await listeningPorts();
        const missing = remotePorts.filter((p) => !listening.has(p)).length;
        if (missing === 0) break;
        if (Date.now() > deadline) {
          throw new Error(`${missing} of ${nProxies} remote ports never started listening`);
        }
        if (frps.status || frpc.status) throw new Error("frps/frpc exited");
        await sleep(nProxies > 10 ? 200 : 50);
      }
      while (!(await probe(remotePorts[0], undefined, 2000))) {
        if (Date.now() > deadline) throw new Error("tcp proxy never echoed");
        await sleep(100);
      }
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const tail = (p: Proc | undefined) => p ? p.lines.slice(-15).join("\n") : "";
    await close();
    throw new Error(
      `${pair.name}: setup failed: ${msg}\n--- frps ---\n${tail(frps)}\n--- frpc ---\n${
        tail(frpc)
      }`,
    );
  }
  return { frps, frpc: frpc!, remotePorts, vhostPort, upMs: performance.now() - t0, close };
}

function vhostFirst(domains: number): string {
  return domains === 1 ? VHOST : vhostDomain(0);
}

/** First port tried by {@linkcode scanPorts} (below Linux's default ephemeral range 32768+). */
const SCAN_FROM = 12000;

/** `n` distinct ports from `from` upwards that can be bound on 127.0.0.1 right now. */
function scanPorts(n: number, from: number): number[] {
  const out: number[] = [];
  for (let port = from; out.length < n && port < 65536; port++) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      out.push(port);
    } catch { /* in use */ }
  }
  if (out.length < n) throw new Error(`only ${out.length} of ${n} free ports from ${from}`);
  return out;
}
