/**
 * Abuse rows: hostile or careless peers against frps/frpc, each run against our pair and Go
 * frp v0.70.1 side by side. A row records what the attacker saw (status line, reply bytes,
 * the error frpc printed), how many log lines the attack produced (one per attempt, no
 * flood), and for the connection floods the legitimate client's throughput under attack
 * versus without.
 *
 * @module
 */

import { freePort } from "../../tests/_helpers/ports.ts";
import { startFrpc } from "../../tests/_helpers/proc.ts";
import { type Pair, pairName, procStats, sleep, startTunnel, type Tunnel } from "./frp.ts";
import { authProxies, authRows } from "./abuse_auth.ts";

/** One abuse row for one pair. */
export interface AbuseRow {
  pair: string;
  attack: string;
  /** What the attacker got back. */
  result: string;
  /** Log lines frps/frpc wrote about it. */
  logLines: number;
  /** Legitimate tcp-proxy throughput without / under attack (MB/s), when measured. */
  mbps?: [number, number];
  note?: string;
}

const enc = new TextEncoder();

/** Sends `bytes` through the tcp proxy's echo and reads them back; MB/s of the round trip. */
export async function throughput(port: number, bytes: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const t0 = performance.now();
    const chunk = new Uint8Array(64 * 1024).fill(0x5a);
    const writer = (async () => {
      for (let left = bytes; left > 0;) {
        const n = Math.min(left, chunk.byteLength);
        let o = 0;
        while (o < n) o += await conn.write(chunk.subarray(o, n));
        left -= n;
      }
    })();
    const buf = new Uint8Array(64 * 1024);
    let got = 0;
    // Until all bytes are back: frp has no half-close, so no EOF is awaited.
    while (got < bytes) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += n;
    }
    await writer;
    if (got !== bytes) throw new Error(`echo returned ${got} of ${bytes} bytes`);
    return bytes / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** Connects, writes `req`, reads until EOF or `ms`; returns what came back (latin-1). */
export async function exchange(port: number, req: Uint8Array, ms = 5000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, ms);
  const parts: Uint8Array[] = [];
  try {
    await conn.write(req);
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      parts.push(buf.slice(0, n));
      if (parts.reduce((a, p) => a + p.byteLength, 0) > 65536) break;
    }
  } catch {
    /* reset or closed by the timer */
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  let s = "";
  for (const p of parts) for (const b of p) s += String.fromCharCode(b);
  return s;
}

const firstLine = (s: string): string => s.split("\r\n")[0].slice(0, 60) || "(closed, no reply)";

/** The first line frps/frpc logged since `from` (without the timestamp), for the notes. */
function firstLog(t: Tunnel, from: [number, number]): string {
  const l = t.frps.lines.slice(from[0])[0] ?? t.frpc.lines.slice(from[1])[0] ?? "";
  return l.replace(/^\S+ \S+ /, "").slice(0, 120);
}

function countLines(t: Tunnel, re: RegExp, from: [number, number]): number {
  return t.frps.lines.slice(from[0]).filter((l) => re.test(l)).length +
    t.frpc.lines.slice(from[1]).filter((l) => re.test(l)).length;
}

const mark = (t: Tunnel): [number, number] => [t.frps.lines.length, t.frpc.lines.length];

/** Holds `n` TCP connections open on `port`, each having sent `first` (maybe nothing). */
async function holdOpen(port: number, n: number, first: Uint8Array): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = await Promise.allSettled(
      Array.from(
        { length: Math.min(200, n - i) },
        () => Deno.connect({ hostname: "127.0.0.1", port }),
      ),
    );
    for (const r of batch) if (r.status === "fulfilled") conns.push(r.value);
  }
  if (first.byteLength) await Promise.allSettled(conns.map((c) => c.write(first)));
  return conns;
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** Every abuse row for one pair; `scale` shrinks the floods (1 = the full 10,000). */
export async function abuseRows(pair: Pair, scale: number, mbBytes: number): Promise<AbuseRow[]> {
  const dash = freePort(), admin = freePort(), vhost = freePort();
  const s5 = freePort(), hp = freePort(), sf = freePort();
  const www = await Deno.makeTempDir({ prefix: "torture-www-" });
  await Deno.writeTextFile(`${www}/index.txt`, "public\n");
  await Deno.symlink("/etc", `${www}/etc-link`);
  const plugin = (name: string, port: number, p: Record<string, unknown>) => ({
    name,
    type: "tcp",
    remotePort: port,
    plugin: p,
  });
  const t = await startTunnel(pair, "tcp", {
    server: {
      vhostHTTPPort: vhost,
      webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "secret" },
    },
    client: {
      webServer: { addr: "127.0.0.1", port: admin, user: "admin", password: "secret" },
    },
    proxies: [
      plugin("s5", s5, { type: "socks5", username: "u", password: "p" }),
      plugin("hp", hp, { type: "http_proxy", httpUser: "u", httpPassword: "p" }),
      plugin("sf", sf, { type: "static_file", localPath: www }),
      {
        name: "web",
        type: "http",
        localIP: "127.0.0.1",
        localPort: t0Port(),
        customDomains: ["torture.local"],
      },
      ...authProxies(),
    ],
  });
  const rows: AbuseRow[] = [];
  const row = (attack: string, result: string, logLines: number, extra: Partial<AbuseRow> = {}) =>
    rows.push({ pair: pairName(pair), attack, result, logLines, ...extra });
  try {
    for (
      let i = 0;
      i < 15 && !(await exchange(sf, enc.encode("GET / HTTP/1.0\r\n\r\n"), 2000));
      i++
    ) {
      await sleep(200);
    }
    const baseline = await throughput(t.tcpPort, mbBytes);

    // Wrong token: a second frpc logs in with another token.
    {
      const m = mark(t);
      const bad = await startFrpc({
        impl: pair.client,
        config: { ...t.frpcConfig, auth: { token: "wrong" }, proxies: [], webServer: undefined },
        waitFor: null,
      });
      await bad.waitExit(20_000).catch(() => {});
      const said = bad.lines.find((l) => /token|authoriz/i.test(l)) ?? "(nothing)";
      await bad.kill();
      await sleep(300);
      row(
        "wrong token (frpc login)",
        said.replace(/^.*?\] /, "").slice(0, 90),
        countLines(t, /token/i, m),
      );
    }

    // Replayed Login, wrong sk (stcp, xtcp), wrong groupKey.
    for (const r of await authRows(pair, t)) row(r.attack, r.result, r.logLines);

    // Oversize v1 frame on bindPort (plain TCP, Login type byte, int64 length 2^63-1).
    {
      const m = mark(t);
      const frame = Uint8Array.of(0x6f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
      const got = await exchange(t.bindPort, frame, 5000);
      await sleep(300);
      row(
        "oversize frame (2^63-1 length) on bindPort",
        got ? `${got.length} bytes back, closed` : "closed",
        countLines(t, /^(?!.*get a user connection)/, m),
        { note: firstLog(t, m) },
      );
    }

    // Dashboard and admin API without credentials.
    for (
      const [what, port] of [["dashboard /api/serverinfo", dash], [
        "frpc admin /api/status",
        admin,
      ]] as const
    ) {
      const path = what.split(" ").pop();
      const got = await exchange(
        port,
        enc.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      row(`${what} without credentials`, firstLine(got), 0);
    }

    // static_file path traversal (plain, encoded, through a symlink).
    for (
      const path of [
        "/../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/etc-link/passwd",
      ]
    ) {
      const got = await exchange(
        sf,
        enc.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      const leaked = got.includes("root:");
      row(
        `static_file GET ${path}`,
        `${firstLine(got)}${leaked ? " (served /etc/passwd)" : ""}`,
        0,
      );
    }

    // socks5 / http_proxy without credentials.
    {
      const got = await exchange(s5, Uint8Array.of(5, 1, 0));
      row("socks5 offering no-auth only", [...got].map((c) => c.charCodeAt(0)).join(","), 0);
      const hpGot = await exchange(
        hp,
        enc.encode("CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"),
      );
      row("http_proxy CONNECT without Proxy-Authorization", firstLine(hpGot), 0);
    }

    // Half-open floods: bindPort and the vhost port, legit throughput measured during.
    for (
      const [what, port, first] of [
        ["half-open conns on bindPort", t.bindPort, new Uint8Array(0)],
        ["half-open conns on vhost port", vhost, new Uint8Array(0)],
        [
          "slowloris on vhost port (partial head)",
          vhost,
          enc.encode("GET / HTTP/1.1\r\nHost: torture.local\r\nX-a: "),
        ],
      ] as const
    ) {
      const n = Math.max(10, Math.round(10_000 * scale));
      const m = mark(t);
      const conns = await holdOpen(port, n, first);
      const fds = (await procStats(t.frps.pid)).fds;
      let under = 0;
      try {
        under = await throughput(t.tcpPort, mbBytes);
      } catch (e) {
        under = 0;
        console.error(`${what}: legit transfer failed: ${(e as Error).message}`);
      }
      closeAll(conns);
      await sleep(500);
      row(
        `${n} ${what}`,
        `${conns.length} held; frps fds during ${fds}`,
        countLines(t, /^(?!.*get a user connection)/, m),
        {
          mbps: [baseline, under],
          note: firstLog(t, m),
        },
      );
    }
  } finally {
    await t.stop();
    await Deno.remove(www, { recursive: true }).catch(() => {});
  }
  return rows;
}

/** A port nothing listens on (the http proxy's backend is irrelevant to these rows). */
function t0Port(): number {
  return freePort();
}

/** Markdown table of abuse rows, ours and Go side by side per attack. */
export function abuseTable(rows: AbuseRow[]): string {
  const attacks = [...new Set(rows.map((r) => r.attack.replace(/^\d+ /, "N ")))];
  const pairsSeen = [...new Set(rows.map((r) => r.pair))];
  const head = pairsSeen.map((p) => `${p}: result | log lines | legit MB/s (without → under)`);
  const out = [
    `| attack | ${head.join(" | ")} |`,
    `| --- | ${pairsSeen.map(() => "--- | ---: | ---").join(" | ")} |`,
  ];
  for (const a of attacks) {
    const cells = pairsSeen.map((p) => {
      const r = rows.find((x) => x.pair === p && x.attack.replace(/^\d+ /, "N ") === a);
      if (!r) return " | | ";
      const mb = r.mbps ? `${r.mbps[0].toFixed(0)} → ${r.mbps[1].toFixed(0)}` : "";
      return `${r.result.replace(/\|/g, "\\|")} | ${r.logLines} | ${mb}`;
    });
    const n = rows.find((x) => x.attack.replace(/^\d+ /, "N ") === a)?.attack.match(/^\d+/)?.[0];
    out.push(`| ${n ? a.replace(/^N/, n) : a} | ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}
