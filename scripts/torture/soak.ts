/**
 * Soak row: a steady mixed load (tcp echo, udp datagrams, http vhost requests) through one
 * pair for a fixed duration, sampling frps's and frpc's RSS and fd count every 10 s. Growth
 * is the median of the last quarter of samples over the median of the second quarter (the
 * first quarter is warm-up); the series is plotted into a PNG.
 *
 * @module
 */

import { freePort } from "../../tests/_helpers/ports.ts";
import { startHttpHello } from "../../tests/_helpers/services.ts";
import { udpIntegrity } from "./integrity.ts";
import { type Pair, pairName, percentile, procStats, sleep, startTunnel } from "./frp.ts";
import { exchange, throughput } from "./abuse.ts";
import { plotPanels } from "./png.ts";

/** One sample. */
export interface SoakSample {
  t: number;
  frpsRssMiB: number;
  frpcRssMiB: number;
  frpsFds: number;
  frpcFds: number;
}

/** The soak row. */
export interface SoakRow {
  pair: string;
  seconds: number;
  samples: SoakSample[];
  ops: { tcp: number; udp: number; http: number; errors: number };
  growth: { frpsRss: number; frpcRss: number; frpsFds: number; frpcFds: number };
}

function growth(xs: number[]): number {
  const n = xs.length;
  if (n < 4) return 0;
  const base = percentile(xs.slice(Math.floor(n / 4), Math.floor(n / 2)), 50);
  const last = percentile(xs.slice(Math.floor((3 * n) / 4)), 50);
  return base > 0 ? last / base - 1 : 0;
}

/** Runs the soak for `seconds`, sampling every `sampleMs`. */
export async function soakRow(
  pair: Pair,
  seconds: number,
  sampleMs = 10_000,
  pngPath?: string,
): Promise<SoakRow> {
  const web = startHttpHello("soak");
  const vhost = freePort();
  const t = await startTunnel(pair, "tcp", {
    server: { vhostHTTPPort: vhost },
    proxies: [{
      name: "web",
      type: "http",
      localIP: "127.0.0.1",
      localPort: web.port,
      customDomains: ["soak.local"],
    }],
  });
  const ops = { tcp: 0, udp: 0, http: 0, errors: 0 };
  const samples: SoakSample[] = [];
  const end = performance.now() + seconds * 1000;
  let stop = false;
  const req = new TextEncoder().encode(
    "GET / HTTP/1.1\r\nHost: soak.local\r\nConnection: close\r\n\r\n",
  );
  // Three steady loops, each paced so the load is constant rather than flat out.
  const loop = async (fn: () => Promise<void>, pauseMs: number) => {
    while (!stop) {
      try {
        await fn();
      } catch {
        ops.errors++;
      }
      await sleep(pauseMs);
    }
  };
  const loops = [
    loop(async () => {
      await throughput(t.tcpPort, 256 * 1024);
      ops.tcp++;
    }, 50),
    loop(async () => {
      const r = await udpIntegrity(t, 20, ops.udp + 1, 4);
      ops.udp += r.ok;
      ops.errors += r.lost + r.corrupt;
    }, 100),
    loop(async () => {
      const got = await exchange(vhost, req, 5000);
      if (!got.startsWith("HTTP/1.1 200")) throw new Error(got.slice(0, 40));
      ops.http++;
    }, 50),
  ];
  const t0 = performance.now();
  try {
    while (performance.now() < end) {
      const s = await procStats(t.frps.pid), c = await procStats(t.frpc.pid);
      samples.push({
        t: (performance.now() - t0) / 1000,
        frpsRssMiB: s.rssKiB / 1024,
        frpcRssMiB: c.rssKiB / 1024,
        frpsFds: s.fds,
        frpcFds: c.fds,
      });
      await sleep(Math.min(sampleMs, Math.max(0, end - performance.now())));
    }
  } finally {
    stop = true;
    await Promise.allSettled(loops);
    await t.stop();
    await web.close();
  }
  if (pngPath) {
    await Deno.writeFile(
      pngPath,
      plotPanels([
        [
          { values: samples.map((s) => s.frpsRssMiB), rgb: [200, 30, 30] },
          { values: samples.map((s) => s.frpcRssMiB), rgb: [30, 60, 200] },
        ],
        [
          { values: samples.map((s) => s.frpsFds), rgb: [200, 30, 30] },
          { values: samples.map((s) => s.frpcFds), rgb: [30, 60, 200] },
        ],
      ]),
    );
  }
  return {
    pair: pairName(pair),
    seconds,
    samples,
    ops,
    growth: {
      frpsRss: growth(samples.map((s) => s.frpsRssMiB)),
      frpcRss: growth(samples.map((s) => s.frpcRssMiB)),
      frpsFds: growth(samples.map((s) => s.frpsFds)),
      frpcFds: growth(samples.map((s) => s.frpcFds)),
    },
  };
}

/** Markdown table of soak rows. */
export function soakTable(rows: SoakRow[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const out = [
    "| pair | duration s | samples | tcp echoes | udp datagrams | http requests | errors | frps RSS MiB first→last (growth) | frpc RSS MiB first→last (growth) | fds frps / frpc growth |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
  ];
  for (const r of rows) {
    const a = r.samples[0], z = r.samples[r.samples.length - 1];
    out.push(
      `| ${r.pair} | ${r.seconds} | ${r.samples.length} | ${r.ops.tcp} | ${r.ops.udp} | ${r.ops.http} | ${r.ops.errors} | ${
        a?.frpsRssMiB.toFixed(1)
      }→${z?.frpsRssMiB.toFixed(1)} (${pct(r.growth.frpsRss)}) | ${a?.frpcRssMiB.toFixed(1)}→${
        z?.frpcRssMiB.toFixed(1)
      } (${pct(r.growth.frpcRss)}) | ${pct(r.growth.frpsFds)} / ${pct(r.growth.frpcFds)} |`,
    );
  }
  return out.join("\n");
}
