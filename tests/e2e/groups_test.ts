/**
 * Load-balancing groups with 3 members (separate frpc processes): requests spread round
 * robin, one member killed mid-run receives nothing afterwards, and a wrong groupKey is
 * refused. tcp and http groups; ours and both interop directions.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  curl,
  type Frp,
  pairName,
  startEchoBackend,
  startFrp,
  vhostPairs,
  withFrpLogs,
} from "../_helpers/vhost.ts";
import { withTimeout } from "../_helpers/services.ts";

/** A TCP backend answering every connection with its name. */
function namer(name: string): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      c.write(new TextEncoder().encode(name)).catch(() => {}).finally(() => {
        try {
          c.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

async function tcpName(port: number): Promise<string> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(64);
    let s = "";
    try {
      for (;;) {
        const n = await withTimeout(c.read(buf), 5000, "tcp group read");
        if (n === null) break;
        s += new TextDecoder().decode(buf.subarray(0, n));
      }
    } finally {
      try {
        c.close();
      } catch { /* closed */ }
    }
    return s;
  } catch {
    return "";
  }
}

function count(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/**
 * Runs `probe` continuously; kills member 1 (index) after `before` results; returns results
 * before the kill and those after a settle time.
 */
async function killMidRun(
  frp: Frp,
  probe: () => Promise<string>,
): Promise<{ before: string[]; after: string[] }> {
  const before: string[] = [];
  for (let i = 0; i < 12; i++) before.push(await probe());
  // keep load running while the member goes away
  let stop = false;
  const during = (async () => {
    while (!stop) await probe();
  })();
  await frp.frpcs[1].kill();
  await new Promise((r) => setTimeout(r, 2500));
  stop = true;
  await during;
  const after: string[] = [];
  for (let i = 0; i < 12; i++) after.push(await probe());
  return { before, after };
}

for (const pair of vhostPairs()) {
  Deno.test({
    name: `groups tcp: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const [remote] = freePorts(1);
      const backends = ["M0", "M1", "M2"].map(namer);
      const member = (i: number, key = "k") => ({
        name: `tcpg${i}`,
        type: "tcp",
        localPort: backends[i].port,
        remotePort: remote,
        loadBalancer: { group: "tg", groupKey: key },
      });
      try {
        await using frp = await startFrp({ pair });
        for (let i = 0; i < 3; i++) await frp.addClient([member(i)]);
        await withFrpLogs(frp, async () => {
          const bad = await frp.addClient(
            [{ ...member(0), name: "intruder", loadBalancer: { group: "tg", groupKey: "wrong" } }],
            undefined,
            {},
            false,
          );
          await bad.waitForLine(/group auth failed/, 10000);
          const { before, after } = await killMidRun(frp, () => tcpName(remote));
          const c = count(before);
          for (const n of ["M0", "M1", "M2"]) assert((c[n] ?? 0) >= 3, JSON.stringify(c));
          const a = count(after);
          assertEquals(a["M1"], undefined, JSON.stringify(a));
          assertEquals((a["M0"] ?? 0) + (a["M2"] ?? 0), 12, JSON.stringify(a));
        });
      } finally {
        for (const b of backends) b.close();
      }
    },
  });

  Deno.test({
    name: `groups http: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const [vport] = freePorts(1);
      const backends = ["H0", "H1", "H2"].map((n) => startEchoBackend(n));
      const member = (i: number) => ({
        name: `httpg${i}`,
        type: "http",
        localPort: backends[i].port,
        customDomains: ["grp.test"],
        loadBalancer: { group: "hg", groupKey: "k" },
      });
      try {
        await using frp = await startFrp({ pair, server: { vhostHTTPPort: vport } });
        for (let i = 0; i < 3; i++) await frp.addClient([member(i)]);
        await withFrpLogs(frp, async () => {
          const probe = async () => {
            const r = await curl(["-H", "Host: grp.test", `http://127.0.0.1:${vport}/`], 5000);
            return r.status === 200 ? (JSON.parse(r.body).backend as string) : `status ${r.status}`;
          };
          const { before, after } = await killMidRun(frp, probe);
          const c = count(before);
          for (const n of ["H0", "H1", "H2"]) assert((c[n] ?? 0) >= 3, JSON.stringify(c));
          const a = count(after);
          assertEquals(a["H1"], undefined, JSON.stringify(a));
          assertEquals((a["H0"] ?? 0) + (a["H2"] ?? 0), 12, JSON.stringify(a));
        });
      } finally {
        for (const b of backends) await b.close();
      }
    },
  });
}

/** One CONNECT through the tcpmux port; the backend's name follows frps's 200 response. */
async function tcpmuxName(port: number, host: string): Promise<string> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await c.write(new TextEncoder().encode(`CONNECT ${host}:80 HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    const buf = new Uint8Array(256);
    let s = "";
    try {
      for (;;) {
        const n = await withTimeout(c.read(buf), 5000, "tcpmux group read");
        if (n === null) break;
        s += new TextDecoder().decode(buf.subarray(0, n));
      }
    } finally {
      try {
        c.close();
      } catch { /* closed */ }
    }
    const i = s.indexOf("\r\n\r\n");
    return s.startsWith("HTTP/1.1 200") && i >= 0 ? s.slice(i + 4) : `bad: ${s.slice(0, 40)}`;
  } catch {
    return "";
  }
}

for (const pair of vhostPairs()) {
  Deno.test({
    name: `groups tcpmux: ${pairName(pair)}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const [muxPort] = freePorts(1);
      const backends = ["T0", "T1", "T2"].map(namer);
      const member = (i: number) => ({
        name: `muxg${i}`,
        type: "tcpmux",
        multiplexer: "httpconnect",
        localPort: backends[i].port,
        customDomains: ["mux-grp.test"],
        loadBalancer: { group: "mg", groupKey: "k" },
      });
      try {
        await using frp = await startFrp({ pair, server: { tcpmuxHTTPConnectPort: muxPort } });
        for (let i = 0; i < 3; i++) await frp.addClient([member(i)]);
        await withFrpLogs(frp, async () => {
          const { before, after } = await killMidRun(
            frp,
            () => tcpmuxName(muxPort, "mux-grp.test"),
          );
          const c = count(before);
          for (const n of ["T0", "T1", "T2"]) assert((c[n] ?? 0) >= 3, JSON.stringify(c));
          const a = count(after);
          assertEquals(a["T1"], undefined, JSON.stringify(a));
          assertEquals((a["T0"] ?? 0) + (a["T2"] ?? 0), 12, JSON.stringify(a));
        });
      } finally {
        for (const b of backends) b.close();
      }
    },
  });
}
