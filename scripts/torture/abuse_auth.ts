/**
 * Abuse rows about credentials other than the login token: a replayed Login, a wrong `sk` for
 * stcp and xtcp visitors, a wrong `groupKey` for a load-balancing group. Each row runs a second
 * frpc (or raw bytes) against the pair of abuse.ts and records what the attacker saw and how
 * many log lines mention it.
 *
 * Replay: Go v0.70.1's token method signs a Login as MD5(token + timestamp) and checks neither
 * the timestamp's age nor reuse, so the same Login bytes log in again (a new client with a new
 * run id each time). We do the same (compatibility); the rows record it.
 *
 * @module
 */

import { freePort } from "../../tests/_helpers/ports.ts";
import { startFrpc } from "../../tests/_helpers/proc.ts";
import { startStunServer } from "../../tests/_helpers/stun_server.ts";
import { type Pair, sleep, type Tunnel } from "./frp.ts";

/** Go v0.70.1's frpc log message (after the run id and name) per attack, for --quick. */
export const GO_REJECTIONS: [attack: string, text: string][] = [
  [
    "wrong sk for an stcp",
    "dialRawVisitorConn error: start new visitor connection error: visitor connection of [st] auth failed",
  ],
  [
    "wrong sk for an xtcp",
    "nathole exchange info error: natHoleRespMsg get error info: xtcp connection of [xt] auth failed",
  ],
  ["wrong groupKey", "start error: group auth failed"],
];

/** What a row reports back to abuse.ts. */
export interface AuthRow {
  attack: string;
  result: string;
  logLines: number;
}

/** The proxies abuse.ts adds to its frpc so that these rows have something to attack. */
export function authProxies(): Record<string, unknown>[] {
  const local = { localIP: "127.0.0.1", localPort: freePort() };
  return [
    { name: "st", type: "stcp", secretKey: "right-sk", ...local },
    { name: "xt", type: "xtcp", secretKey: "right-sk", ...local },
    {
      name: "g1",
      type: "tcp",
      ...local,
      remotePort: freePort(),
      loadBalancer: { group: "g", groupKey: "right-key" },
    },
  ];
}

/** A yamux header (12 bytes): type at 1, length at 8; data frames (type 0) carry `length` bytes. */
function yamuxPayload(bytes: Uint8Array): { payload: Uint8Array; used: number } {
  const parts: number[] = [];
  let o = 0;
  while (o + 12 <= bytes.byteLength) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + o + 8, 4).getUint32(0);
    const data = bytes[o + 1] === 0;
    if (data && o + 12 + len > bytes.byteLength) break;
    if (data) parts.push(...bytes.subarray(o + 12, o + 12 + len));
    o += 12 + (data ? len : 0);
  }
  return { payload: Uint8Array.from(parts), used: o };
}

/** Length of the first complete v1 message (type byte + int64 length + JSON) in `p`, or 0. */
function v1Complete(p: Uint8Array): number {
  if (p.byteLength < 9) return 0;
  const len = Number(new DataView(p.buffer, p.byteOffset + 1, 8).getBigInt64(0));
  return p.byteLength >= 9 + len ? 9 + len : 0;
}

/**
 * Captures the bytes a real frpc sends to log in: the frpc dials a listener that only records,
 * until the yamux stream holds one complete Login message.
 */
async function captureLogin(pair: Pair, t: Tunnel): Promise<Uint8Array> {
  const port = freePort();
  const ln = Deno.listen({ hostname: "127.0.0.1", port });
  // Without TLS: frpc's default TLS would make the bytes unreplayable (fresh keys per session);
  // the attack is against a frpc that logs in in plain text, which frps accepts unless tls.force.
  const transport = { ...(t.frpcConfig.transport as object | undefined), tls: { enable: false } };
  const frpc = await startFrpc({
    impl: pair.client,
    config: { ...t.frpcConfig, serverPort: port, transport, proxies: [], webServer: undefined },
    waitFor: null,
  });
  try {
    const stop = setTimeout(() => ln.close(), 20_000); // accept() then rejects
    const conn = await ln.accept().finally(() => clearTimeout(stop));
    const got: number[] = [];
    const buf = new Uint8Array(4096);
    const deadline = setTimeout(() => conn.close(), 10_000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        got.push(...buf.subarray(0, n));
        const { payload, used } = yamuxPayload(Uint8Array.from(got));
        if (payload[0] === 0x6f && v1Complete(payload)) return Uint8Array.from(got.slice(0, used));
      }
    } finally {
      clearTimeout(deadline);
      try {
        conn.close();
      } catch { /* closed */ }
    }
    throw new Error("no Login captured");
  } finally {
    try {
      ln.close();
    } catch { /* closed by the timer */ }
    await frpc.kill();
  }
}

/** Sends the captured Login to frps; returns the LoginResp's JSON (or what came instead). */
async function replay(port: number, login: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const deadline = setTimeout(() => conn.close(), 5000);
  const got: number[] = [];
  try {
    await conn.write(login);
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      got.push(...buf.subarray(0, n));
      const { payload } = yamuxPayload(Uint8Array.from(got));
      const end = v1Complete(payload);
      if (end) return new TextDecoder().decode(payload.subarray(9, end));
    }
  } catch {
    /* closed by the deadline */
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return got.length ? `${got.length} bytes, no LoginResp` : "closed";
}

/** A log line's message: without timestamp, level, source file, run id and proxy name. */
const message = (line: string): string =>
  line.replace(/^\S+ \S+ \[\w\] \[[^\]]+\] (\[[0-9a-f]+\] )?(\[[^\]]+\] )?/, "");

/** Lines of `lines` after `from` matching `re`. */
const count = (lines: string[], from: number, re: RegExp) =>
  lines.slice(from).filter((l) => re.test(l)).length;

/** The replay, wrong-sk and wrong-groupKey rows for one pair (`t` runs {@link authProxies}). */
export async function authRows(pair: Pair, t: Tunnel): Promise<AuthRow[]> {
  const rows: AuthRow[] = [];

  // Replayed Login: the same bytes twice, a moment after the capture.
  {
    const login = await captureLogin(pair, t);
    await sleep(1100); // a later timestamp on frps's clock than the Login's
    const m = t.frps.lines.length;
    const answers: string[] = [];
    for (let i = 0; i < 2; i++) answers.push(await replay(t.bindPort, login));
    await sleep(300);
    const errs = answers.map((a) => {
      try {
        return (JSON.parse(a) as { error?: string }).error ?? "";
      } catch {
        return a;
      }
    });
    const result = errs.every((e) => e === "")
      ? "accepted twice (LoginResp, no error)"
      : `rejected: ${errs.join(" / ")}`;
    rows.push({
      attack: "replayed Login (same bytes twice)",
      result: result.slice(0, 90),
      logLines: count(t.frps.lines, m, /login/i),
    });
  }

  // A visitor frpc with the wrong secret key; `trigger` makes it ask frps once.
  await using stun = await startStunServer();
  for (const type of ["stcp", "xtcp"] as const) {
    const vport = freePort();
    const m = t.frps.lines.length;
    const v = await startFrpc({
      impl: pair.client,
      config: {
        ...t.frpcConfig,
        proxies: [],
        webServer: undefined,
        natHoleStunServer: stun.addr,
        visitors: [{
          name: `bad-${type}`,
          type,
          serverName: type === "stcp" ? "st" : "xt",
          secretKey: "wrong-sk",
          bindAddr: "127.0.0.1",
          bindPort: vport,
        }],
      },
      waitFor: /start visitor success/,
    });
    let said = "(nothing)";
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: vport });
      await conn.write(new Uint8Array([1])).catch(() => 0);
      said = await v.waitForLine(/auth failed/, 15_000).catch(() => "(nothing)");
      await sleep(1000); // any repeat would show up here
      try {
        conn.close();
      } catch { /* closed by the visitor */ }
      rows.push({
        attack: `wrong sk for an ${type} visitor`,
        result: message(said),
        logLines: count(t.frps.lines, m, /auth failed/) + count(v.lines, 0, /auth failed/),
      });
    } finally {
      await v.kill();
    }
  }

  // A second proxy joining the load-balancing group with another groupKey.
  {
    const m = t.frps.lines.length;
    const [g1] = authProxies().slice(2);
    const intruder = {
      ...g1,
      name: "g2",
      remotePort: (t.frpcConfig.proxies as { name: string; remotePort?: number }[])
        .find((p) => p.name === "g1")?.remotePort,
      loadBalancer: { group: "g", groupKey: "wrong-key" },
    };
    const c = await startFrpc({
      impl: pair.client,
      config: { ...t.frpcConfig, proxies: [intruder], webServer: undefined },
    });
    try {
      const said = await c.waitForLine(/group auth failed/, 15_000).catch(() => "(nothing)");
      await sleep(1000);
      rows.push({
        attack: "wrong groupKey (second proxy joins the group)",
        result: message(said),
        logLines: count(t.frps.lines, m, /group auth failed/) +
          count(c.lines, 0, /group auth failed/),
      });
    } finally {
      await c.kill();
    }
  }
  return rows;
}
