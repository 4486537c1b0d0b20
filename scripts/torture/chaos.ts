/**
 * Chaos rows: kill -9 of frps (restarted at once), kill -9 of frpc (restarted), and SIGSTOP of
 * frpc (SIGCONT after a pause), each while a transfer is running. The figure is the time until
 * the tcp proxy serves again (an echo through frps's remote port), p50/p99 over the cycles,
 * plus the surviving process's fd count and RSS before and after all cycles.
 *
 * @module
 */

import { startFrpc, startFrps } from "../../tests/_helpers/proc.ts";
import {
  echoOnce,
  type Pair,
  pairName,
  percentile,
  procStats,
  sleep,
  startTunnel,
  type Tunnel,
} from "./frp.ts";

/** What is done to which process. */
export type ChaosKind = "kill -9 frps" | "kill -9 frpc" | "SIGSTOP frpc" | `link down ${string}`;

/** One chaos row. */
export interface ChaosRow {
  pair: string;
  kind: ChaosKind;
  cycles: number;
  recovered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The process that was not killed: fds and RSS before/after. */
  survivor: string;
  fdsBefore: number;
  fdsAfter: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

/** Keeps one connection streaming through the proxy until it breaks (it is expected to). */
function backgroundTransfer(port: number): { stop(): void } {
  let conn: Deno.Conn | undefined;
  let stopped = false;
  (async () => {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(16 * 1024);
    const reader = (async () => {
      const r = new Uint8Array(64 * 1024);
      while (!stopped && (await conn!.read(r)) !== null) { /* drain the echo */ }
    })().catch(() => {});
    while (!stopped) await conn.write(buf);
    await reader;
  })().catch(() => {});
  return {
    stop() {
      stopped = true;
      try {
        conn?.close();
      } catch { /* closed */ }
    },
  };
}

async function waitRecovered(port: number, t0: number, limitMs: number): Promise<number | null> {
  while (performance.now() - t0 < limitMs) {
    if (await echoOnce(port, Uint8Array.of(7), 1000)) return performance.now() - t0;
    await sleep(20);
  }
  return null;
}

/** Runs `cycles` of one chaos kind against a fresh pair. */
export async function chaosRow(
  pair: Pair,
  kind: ChaosKind,
  cycles: number,
  stopMs = 10_000,
): Promise<ChaosRow> {
  let t: Tunnel = await startTunnel(pair, "tcp");
  const times: number[] = [];
  const survivor = () => (kind === "kill -9 frps" ? t.frpc : t.frps);
  try {
    await sleep(500);
    const before = await procStats(survivor().pid);
    for (let i = 0; i < cycles; i++) {
      const bg = backgroundTransfer(t.tcpPort);
      await sleep(200);
      let t0: number;
      if (kind === "kill -9 frps") {
        t0 = performance.now();
        Deno.kill(t.frps.pid, "SIGKILL");
        await t.frps.exited;
        await t.frps.kill();
        t.frps = await startFrps({ impl: pair.server, config: t.frpsConfig, timeoutMs: 30_000 });
      } else if (kind === "kill -9 frpc") {
        t0 = performance.now();
        Deno.kill(t.frpc.pid, "SIGKILL");
        await t.frpc.exited;
        await t.frpc.kill();
        t.frpc = await startFrpc({
          impl: pair.client,
          config: t.frpcConfig,
          timeoutMs: 30_000,
          waitFor: null,
        });
      } else {
        Deno.kill(t.frpc.pid, "SIGSTOP");
        await sleep(stopMs);
        t0 = performance.now();
        Deno.kill(t.frpc.pid, "SIGCONT");
      }
      bg.stop();
      const ms = await waitRecovered(t.tcpPort, t0, 60_000);
      if (ms !== null) times.push(ms);
    }
    await sleep(2000);
    const after = await procStats(survivor().pid);
    return {
      pair: pairName(pair),
      kind,
      cycles,
      recovered: times.length,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
      survivor: kind === "kill -9 frps" ? "frpc" : "frps",
      fdsBefore: before.fds,
      fdsAfter: after.fds,
      rssBeforeMiB: before.rssKiB / 1024,
      rssAfterMiB: after.rssKiB / 1024,
    };
  } finally {
    await t.stop();
    t = t as Tunnel;
  }
}

/** Markdown table of chaos rows. */
export function chaosTable(rows: ChaosRow[]): string {
  const out = [
    "| pair | fault | cycles | recovered | p50 ms | p99 ms | max ms | survivor fds before→after | survivor RSS MiB before→after |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.pair} | ${r.kind} | ${r.cycles} | ${r.recovered} | ${r.p50Ms.toFixed(0)} | ${
        r.p99Ms.toFixed(0)
      } | ${r.maxMs.toFixed(0)} | ${r.survivor}: ${r.fdsBefore}→${r.fdsAfter} | ${
        r.rssBeforeMiB.toFixed(1)
      }→${r.rssAfterMiB.toFixed(1)} |`,
    );
  }
  return out.join("\n");
}
