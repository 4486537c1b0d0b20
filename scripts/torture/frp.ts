/**
 * Starting an frps+frpc pair for the torture rows (ours or Go frp, any mix), with a tcp and a
 * udp proxy to in-process echo services, on 127.0.0.1. Every process is a tests/_helpers Proc
 * (our frps/frpc run with the shipped permission sets of cli/permissions.ts).
 *
 * @module
 */

import { freePort, freeUdpPort } from "../../tests/_helpers/ports.ts";
import { hasGoFrp, type Impl, type Proc, startFrpc, startFrps } from "../../tests/_helpers/proc.ts";
import { type Service, startTcpEcho, startUdpEcho } from "../../tests/_helpers/services.ts";
import { merge } from "../../tests/_helpers/tunnel_cases.ts";

/** How the tunnel is carried. */
export type Transport = "tcp" | "tcp+enc+comp" | "quic" | "kcp";

/** Which implementation runs frps and frpc. */
export interface Pair {
  server: Impl;
  client: Impl;
}

/** "ts frpc → ts frps". */
export function pairName(p: Pair): string {
  return `${p.client} frpc → ${p.server} frps`;
}

/** The pairs to run: ours, and Go frp v0.70.1 when its binaries are built. */
export function pairs(withGo: boolean): Pair[] {
  const out: Pair[] = [{ server: "ts", client: "ts" }];
  if (withGo && hasGoFrp()) out.push({ server: "go", client: "go" });
  return out;
}

/** A running pair with its echo services. */
export interface Tunnel {
  frps: Proc;
  frpc: Proc;
  bindPort: number;
  /** frps's remote port for the tcp proxy. */
  tcpPort: number;
  /** frps's remote port for the udp proxy. */
  udpPort: number;
  frpsConfig: Record<string, unknown>;
  frpcConfig: Record<string, unknown>;
  tcpEcho: Service;
  udpEcho: Service;
  stop(): Promise<void>;
}

/** Extra settings for {@link startTunnel}. */
export interface TunnelOptions {
  server?: Record<string, unknown>;
  client?: Record<string, unknown>;
  /** Additional proxies. */
  proxies?: Record<string, unknown>[];
  token?: string;
}

/** Starts echo services, frps and frpc; resolves once frpc logged in and the tcp proxy is up. */
export async function startTunnel(
  pair: Pair,
  transport: Transport,
  o: TunnelOptions = {},
): Promise<Tunnel> {
  const tcpEcho = startTcpEcho();
  const udpEcho = await startUdpEcho();
  // bindPort (TCP) and kcp/quic (UDP) may share the number: take a free UDP port.
  const bindPort = transport === "tcp" || transport === "tcp+enc+comp"
    ? freePort()
    : await freeUdpPort();
  const tcpPort = freePort();
  const udpPort = await freeUdpPort();
  const token = o.token ?? "torture-token";
  const frpsConfig = merge({
    bindAddr: "127.0.0.1",
    bindPort,
    auth: { token },
    log: { level: "info" },
    ...(transport === "quic" ? { quicBindPort: bindPort } : {}),
    ...(transport === "kcp" ? { kcpBindPort: bindPort } : {}),
  }, o.server);
  const t = transport === "tcp+enc+comp" ? { useEncryption: true, useCompression: true } : {};
  const frpcConfig = merge({
    serverAddr: "127.0.0.1",
    serverPort: bindPort,
    auth: { token },
    log: { level: "info" },
    ...(transport === "quic" || transport === "kcp" ? { transport: { protocol: transport } } : {}),
    proxies: [
      {
        name: "t",
        type: "tcp",
        localIP: "127.0.0.1",
        localPort: tcpEcho.port,
        remotePort: tcpPort,
        transport: t,
      },
      {
        name: "u",
        type: "udp",
        localIP: "127.0.0.1",
        localPort: udpEcho.port,
        remotePort: udpPort,
        transport: t,
      },
      ...(o.proxies ?? []),
    ],
  }, o.client);
  let frps: Proc | undefined;
  try {
    frps = await startFrps({ impl: pair.server, config: frpsConfig, timeoutMs: 30_000 });
    const frpc = await startFrpc({
      impl: pair.client,
      config: frpcConfig,
      timeoutMs: 30_000,
      waitFor: /start proxy success/,
    });
    await waitTcpUp(tcpPort, 20_000);
    const f = frps;
    const t: Tunnel = {
      frps: f,
      frpc,
      bindPort,
      tcpPort,
      udpPort,
      frpsConfig,
      frpcConfig,
      tcpEcho,
      udpEcho,
      // Through `t`: chaos rows replace frps/frpc with restarted processes.
      async stop() {
        await t.frpc.kill();
        await t.frps.kill();
        await tcpEcho.close();
        await udpEcho.close();
      },
    };
    return t;
  } catch (e) {
    await frps?.kill();
    await tcpEcho.close();
    await udpEcho.close();
    throw e;
  }
}

/** Resolves once a TCP connect to `port` succeeds and the echo answers (a proxy is serving). */
export async function waitTcpUp(port: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const probe = new Uint8Array([0x2a]);
  while (performance.now() - t0 < timeoutMs) {
    if (await echoOnce(port, probe, 1000)) return performance.now() - t0;
    await sleep(50);
  }
  throw new Error(`port ${port} did not serve within ${timeoutMs} ms`);
}

/** One connect + 1-byte echo, bounded by `ms`. */
export async function echoOnce(port: number, b: Uint8Array, ms: number): Promise<boolean> {
  let conn: Deno.Conn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const work = (async () => {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(b);
      const got = new Uint8Array(b.byteLength);
      const n = await conn.read(got);
      return n === b.byteLength && got[0] === b[0];
    })();
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
    return await Promise.race([work.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
    try {
      (conn as Deno.Conn | undefined)?.close();
    } catch { /* closed */ }
  }
}

/** Promise-based sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Open fds and RSS (KiB) of a process, from /proc. Read through `ls`/`cat` children: Deno
 * only lets `--allow-all` read another process's /proc entries, and the task does not use -A.
 */
export async function procStats(pid: number): Promise<{ fds: number; rssKiB: number }> {
  const run = async (cmd: string, args: string[]) => {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(r.stdout);
  };
  const fds = (await run("ls", ["-1", `/proc/${pid}/fd`])).split("\n").filter(Boolean).length;
  const status = await run("cat", [`/proc/${pid}/status`]);
  return { fds, rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) };
}

/** p-th percentile (0..100) of `xs`. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
