/**
 * Chaos row "link cut": frps in one network namespace, frpc (and its echo service) in a second,
 * joined by a veth pair created directly inside the two (nothing in the host's namespace).
 * Each cycle sets frpc's veth down for `cutMs`, then up, and measures the time from link-up
 * until a round trip through frps's remote port succeeds again (the probe runs inside frps's
 * namespace). Needs root and `ip netns`; reports why when it cannot run.
 *
 * @module
 */

import { Proc, REPO_ROOT, startFrpc, startFrps } from "../../tests/_helpers/proc.ts";
import { freePort } from "../../tests/_helpers/ports.ts";
import type { ChaosRow } from "./chaos.ts";
import { type Pair, pairName, percentile, procStats, sleep } from "./frp.ts";

async function ip(...args: string[]): Promise<boolean> {
  const r = await new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).output();
  return r.success;
}

async function mustIp(...args: string[]): Promise<void> {
  if (!(await ip(...args))) throw new Error(`ip ${args.join(" ")} failed`);
}

/** One round trip of `bytes` through `port`, run inside `ns` by tests/_helpers/netns_peer.ts. */
async function probe(ns: string, port: number): Promise<boolean> {
  const r = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      `${REPO_ROOT}/tests/_helpers/netns_peer.ts`,
      "roundtrip",
      String(port),
      "4096",
      "2000",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.success;
}

/** Runs `cycles` link cuts of `cutMs`; throws when namespaces cannot be made here. */
export async function linkCutRow(pair: Pair, cycles: number, cutMs: number): Promise<ChaosRow> {
  const id = `${Deno.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const nsS = `trt-${id}-s`, nsC = `trt-${id}-c`;
  const made: string[] = [];
  const procs: Proc[] = [];
  try {
    for (const ns of [nsS, nsC]) {
      await mustIp("netns", "add", ns);
      made.push(ns);
      await mustIp("-n", ns, "link", "set", "lo", "up");
    }
    await mustIp("link", "add", "vs", "netns", nsS, "type", "veth", "peer", "vc", "netns", nsC);
    await mustIp("-n", nsS, "addr", "add", "10.231.0.1/30", "dev", "vs");
    await mustIp("-n", nsC, "addr", "add", "10.231.0.2/30", "dev", "vc");
    await mustIp("-n", nsS, "link", "set", "vs", "up");
    await mustIp("-n", nsC, "link", "set", "vc", "up");

    const dir = await Deno.makeTempDir({ prefix: "torture-linkcut-" });
    const echo = new Proc(
      "echo",
      "ip",
      [
        "netns",
        "exec",
        nsC,
        Deno.execPath(),
        "run",
        "--allow-net=127.0.0.1",
        `${REPO_ROOT}/tests/_helpers/netns_peer.ts`,
        "echo",
      ],
      dir,
      "",
    );
    procs.push(echo);
    const echoPort = Number((await echo.waitForLine(/^ECHO \d+/, 20_000)).split(" ")[1]);
    const bindPort = 7000, remotePort = freePort();
    const frps = await startFrps({
      impl: pair.server,
      netns: nsS,
      config: {
        bindAddr: "10.231.0.1",
        bindPort,
        proxyBindAddr: "127.0.0.1",
        auth: { token: "torture" },
      },
    });
    procs.push(frps);
    const frpc = await startFrpc({
      impl: pair.client,
      netns: nsC,
      config: {
        serverAddr: "10.231.0.1",
        serverPort: bindPort,
        auth: { token: "torture" },
        proxies: [{
          name: "t",
          type: "tcp",
          localIP: "127.0.0.1",
          localPort: echoPort,
          remotePort,
        }],
      },
      waitFor: /start proxy success/,
    });
    procs.push(frpc);
    for (let i = 0; i < 50 && !(await probe(nsS, remotePort)); i++) await sleep(200);
    const before = await procStats(frpc.pid);
    const times: number[] = [];
    for (let c = 0; c < cycles; c++) {
      await mustIp("-n", nsC, "link", "set", "vc", "down");
      await sleep(cutMs);
      await mustIp("-n", nsC, "link", "set", "vc", "up");
      const t0 = performance.now();
      while (performance.now() - t0 < 120_000) {
        if (await probe(nsS, remotePort)) {
          times.push(performance.now() - t0);
          break;
        }
        await sleep(100);
      }
      if (frpc.status) break; // frpc exited: the remaining cycles count as not recovered
    }
    await sleep(2000);
    const after = await procStats(frpc.pid);
    return {
      pair: pairName(pair),
      kind: `link down ${cutMs / 1000} s (netns)`,
      cycles,
      recovered: times.length,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
      survivor: "frpc",
      fdsBefore: before.fds,
      fdsAfter: after.fds,
      rssBeforeMiB: before.rssKiB / 1024,
      rssAfterMiB: after.rssKiB / 1024,
    };
  } finally {
    for (const p of procs.reverse()) await p.kill();
    for (const ns of made) await ip("netns", "del", ns);
  }
}
