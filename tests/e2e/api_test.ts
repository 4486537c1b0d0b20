/**
 * "Same API JSON": the frps dashboard API and the frpc admin API answer exactly as Go frp
 * v0.70.1 does. Each scenario runs twice on the same ports — once with Go's binary, once with
 * ours — and every response (status, content type, body with volatile values masked) must be
 * equal. frps is fed by a Go frpc and our frpc at once; frpc's `status`/`reload`/`stop`
 * CLI commands are compared the same way. 127.0.0.1 only; every process is disposed.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { FRPC_FLAGS } from "../_helpers/permissions.ts";
import {
  goFrpPath,
  hasGoFrp,
  hasTsFrp,
  type Impl,
  REPO_ROOT,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import {
  randomBytes,
  startHttpHello,
  startTcpEcho,
  startUdpEcho,
  tcpRoundTrip,
  udpRoundTrip,
  withTimeout,
} from "../_helpers/services.ts";
import { toToml } from "../_helpers/toml.ts";

const enabled = hasGoFrp() && hasTsFrp();
const TOKEN = "api-test-token";
const AUTH = "Basic " + btoa("admin:pw");

/** A captured response, comparable across implementations. */
interface Captured {
  status: number;
  type: string;
  body: unknown;
}

const VOLATILE = new Set([
  "runID",
  "firstConnectedAt",
  "lastConnectedAt",
  "disconnectedAt",
  "lastStartTime",
  "lastCloseTime",
  "lastStartAt",
  "lastCloseAt",
]);

/** Masks per-run values (ids, clocks) but keeps whether they are set and their JSON type. */
function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map((
        [k, x],
      ) => [k, VOLATILE.has(k) ? (x === "" || x === 0 ? x : `<${typeof x}>`) : mask(x)]),
    );
  }
  // run ids (and clientIDs / keys derived from them) differ per run
  if (typeof v === "string") return v.replace(/\b[0-9a-f]{16}\b/g, "<id>");
  return v;
}

async function capture(url: string, init: RequestInit = {}): Promise<Captured> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  let body: unknown = text;
  if (type.startsWith("application/json")) {
    assert(text.endsWith("\n"), `${url}: JSON body without trailing newline`);
    body = mask(JSON.parse(text));
  } else if (url.endsWith("/metrics")) {
    body = text.split("\n").filter((l) =>
      l.startsWith("frp_") || l.startsWith("# HELP frp_") ||
      l.startsWith("# TYPE frp_")
    );
  }
  return { status: res.status, type: type.replace(/\s+/g, ""), body };
}

/** One `Connection: close` GET with a chosen Host (fetch cannot set Host); the raw answer. */
async function rawHttpGet(port: number, host: string, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const req = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: api-test\r\n` +
      "Connection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(req));
    let text = "";
    const buf = new Uint8Array(4096);
    const dec = new TextDecoder();
    for (;;) {
      const n = await withTimeout(conn.read(buf), 10000, `GET ${host}${path}`);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    return text;
  } finally {
    conn.close();
  }
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `frpc <args>` of one implementation to completion. */
async function frpcCli(impl: Impl, args: string[]): Promise<{ code: number; out: string }> {
  const [cmd, argv] = impl === "go"
    ? [goFrpPath("frpc"), args]
    : [Deno.execPath(), ["run", ...FRPC_FLAGS, `${REPO_ROOT}/client/main.ts`, ...args]];
  const child = new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
  const r = await child.output();
  clearTimeout(timer);
  return { code: r.code, out: new TextDecoder().decode(r.stdout) };
}

function compare(go: Record<string, unknown>, ts: Record<string, unknown>): void {
  const diffs: string[] = [];
  for (const k of Object.keys(go)) {
    const a = JSON.stringify(ts[k]);
    const e = JSON.stringify(go[k]);
    if (a !== e) diffs.push(`${k}\n    ours: ${a}\n    go:   ${e}`);
  }
  if (diffs.length > 0) {
    throw new Error(`API responses differ from Go frp:\n  ${diffs.join("\n  ")}`);
  }
}

// ----------------------------------------------------------------------- frps dashboard

interface ServerPorts {
  bind: number;
  http: number;
  https: number;
  tcpmux: number;
  web: number;
  r1: number;
  r2: number;
  r3: number;
  admin: number;
}

async function serverScenario(
  impl: Impl,
  p: ServerPorts,
  local: { echo: number; udp: number; http: number },
): Promise<Record<string, Captured>> {
  const out: Record<string, Captured> = {};
  await using frps = await startFrps({
    impl,
    config: {
      bindAddr: "127.0.0.1",
      bindPort: p.bind,
      proxyBindAddr: "127.0.0.1",
      vhostHTTPPort: p.http,
      vhostHTTPSPort: p.https,
      tcpmuxHTTPConnectPort: p.tcpmux,
      subDomainHost: "example.com",
      auth: { token: TOKEN },
      allowPorts: [{ start: Math.min(p.r1, p.r2, p.r3), end: Math.max(p.r1, p.r2, p.r3) }],
      webServer: { addr: "127.0.0.1", port: p.web, user: "admin", password: "pw" },
      enablePrometheus: true,
    },
  });
  const common = { serverAddr: "127.0.0.1", serverPort: p.bind, auth: { token: TOKEN } };
  await using goc = await startFrpc({
    impl: "go",
    config: {
      ...common,
      user: "u1",
      clientID: "c1",
      proxies: [
        {
          name: "t1",
          type: "tcp",
          localPort: local.echo,
          remotePort: p.r1,
          transport: { useEncryption: true },
          annotations: { a: "1" },
          metadatas: { m: "2" },
        },
        { name: "u1", type: "udp", localPort: local.udp, remotePort: p.r3 },
        {
          name: "h1",
          type: "http",
          localPort: local.http,
          subdomain: "s1",
          customDomains: ["h1.test.local"],
        },
      ],
    },
  });
  const tsc = await startFrpc({
    impl: "ts",
    config: {
      ...common,
      user: "u2",
      webServer: { addr: "127.0.0.1", port: p.admin },
      proxies: [
        {
          name: "t2",
          type: "tcp",
          localPort: local.echo,
          remotePort: p.r2,
          loadBalancer: { group: "g", groupKey: "k" },
          transport: { bandwidthLimit: "1MB" },
        },
        {
          name: "h2",
          type: "http",
          localPort: local.http,
          customDomains: ["h2.test.local"],
          locations: ["/x"],
          hostHeaderRewrite: "b",
        },
        { name: "s2", type: "https", localPort: local.http, customDomains: ["s2.test.local"] },
        {
          name: "m2",
          type: "tcpmux",
          multiplexer: "httpconnect",
          localPort: local.echo,
          customDomains: ["m2.test.local"],
        },
      ],
    },
  });
  await using _tsc = tsc;
  const web = `http://127.0.0.1:${p.web}`;
  const get = (path: string, init: RequestInit = {}) =>
    capture(web + path, { ...init, headers: { authorization: AUTH, ...init.headers } });
  return await withLogs([frps, goc, tsc], async () => {
    await waitFor("7 proxies on frps", async () => {
      const info = await (await fetch(`${web}/api/serverinfo`, {
        headers: { authorization: AUTH },
      })).json();
      const n = Object.values(info.proxyTypeCount as Record<string, number>)
        .reduce((a, b) => a + b, 0);
      return n === 7 ? true : undefined;
    });
    // Traffic: 1000 bytes each way through both tcp proxies, two datagrams, two HTTP requests.
    const payload = randomBytes(1000);
    assertEquals((await tcpRoundTrip(p.r1, payload)).length, 1000);
    assertEquals((await tcpRoundTrip(p.r2, payload)).length, 1000);
    await udpRoundTrip(p.r3, [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])]);
    for (const [host, path] of [["h1.test.local", "/"], ["h2.test.local", "/x/y"]]) {
      const res = await rawHttpGet(p.http, host, path);
      assert(res.startsWith("HTTP/1.1 200") && res.endsWith("hello"), `GET ${host}: ${res}`);
    }
    // tcp user conns end with the round trips; http work conns stay pooled (counted by both).
    await waitFor("tcp connections closed", async () => {
      const r = await (await fetch(`${web}/api/proxy/tcp`, {
        headers: { authorization: AUTH },
      })).json();
      return r.proxies.every((x: { curConns: number }) => x.curConns === 0) ? true : undefined;
    });

    for (
      const path of [
        "/api/serverinfo",
        "/api/proxy/tcp",
        "/api/proxy/udp",
        "/api/proxy/http",
        "/api/proxy/https",
        "/api/proxy/tcpmux",
        "/api/proxy/stcp",
        "/api/proxy/tcp/u1.t1",
        "/api/proxy/udp/u1.t1",
        "/api/proxies/u2.h2",
        "/api/proxies/nope",
        "/api/traffic/u1.t1",
        "/api/traffic/u1.u1",
        "/api/traffic/nope",
        "/api/clients",
        "/api/clients?user=u1",
        "/api/clients?status=offline",
        "/api/clients/u1.c1",
        "/api/clients/nope",
        "/api/v2/system/info",
        "/api/v2/users",
        "/api/v2/users?q=U2",
        "/api/v2/clients",
        "/api/v2/clients?user=u2&pageSize=1",
        "/api/v2/clients/u1.c1",
        "/api/v2/clients/nope",
        "/api/v2/proxies",
        "/api/v2/proxies?type=tcp&pageSize=1&page=2",
        "/api/v2/proxies?q=test.local&status=online",
        "/api/v2/proxies?page=9",
        "/api/v2/proxies?page=0",
        "/api/v2/proxies?pageSize=201",
        "/api/v2/proxies?pageSize=x",
        "/api/v2/proxies?status=x",
        "/api/v2/proxies?type=x",
        "/api/v2/proxies/u2.m2",
        "/api/v2/proxies/nope",
        "/api/v2/proxies/u1.t1/traffic",
        "/metrics",
        "/api/nope",
      ]
    ) out[`GET ${path}`] = await get(path);
    out["POST /api/serverinfo (405)"] = await get("/api/serverinfo", { method: "POST" });
    out["DELETE /api/proxies?status=online"] = await get("/api/proxies?status=online", {
      method: "DELETE",
    });
    out["POST /api/v2/system/prune"] = await get("/api/v2/system/prune", { method: "POST" });
    out["POST /api/v2/system/prune?type=x"] = await get("/api/v2/system/prune?type=x", {
      method: "POST",
    });
    out["GET /api/serverinfo without auth"] = await capture(`${web}/api/serverinfo`);
    out["GET /api/serverinfo wrong password"] = await capture(`${web}/api/serverinfo`, {
      headers: { authorization: "Basic " + btoa("admin:x") },
    });
    out["GET /healthz without auth"] = await capture(`${web}/healthz`);

    // Offline: our frpc stops through our `frpc stop`; the Go frpc is killed.
    const stop = await frpcCli("ts", ["stop", "-c", tsc.configPath]);
    assertEquals(stop, { code: 0, out: "stop success\n" }, "frpc stop");
    assertEquals((await tsc.waitExit(10000)).code, 0, "frpc exit code after stop");
    await goc.kill();
    await waitFor("clients gone", async () => {
      const info = await (await fetch(`${web}/api/serverinfo`, {
        headers: { authorization: AUTH },
      })).json();
      return info.clientCounts === 0 ? true : undefined;
    });
    for (
      const path of [
        "/api/serverinfo",
        "/api/proxy/tcp",
        "/api/proxies/u2.h2",
        "/api/clients",
        "/api/v2/clients/u1.c1",
        "/api/v2/users",
        "/api/v2/proxies?status=offline",
        "/metrics",
      ]
    ) out[`offline GET ${path}`] = await get(path);
    out["DELETE /api/proxies?status=offline"] = await get("/api/proxies?status=offline", {
      method: "DELETE",
    });
    out["prune after delete"] = await get("/api/v2/system/prune?type=offline_proxies", {
      method: "POST",
    });
    out["GET /api/proxy/tcp after delete"] = await get("/api/proxy/tcp");
    return out;
  });
}

Deno.test({
  name: "frps dashboard API: same JSON as Go frps (Go frpc + our frpc feeding it)",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using echo = startTcpEcho();
    await using udp = await startUdpEcho();
    await using http = startHttpHello();
    const [bind, vh, vhs, mux, web, r1, r2, admin] = freePorts(8);
    const r3 = await freeUdpPort();
    const ports = { bind, http: vh, https: vhs, tcpmux: mux, web, r1, r2, r3, admin };
    const local = { echo: echo.port, udp: udp.port, http: http.port };
    const go = await serverScenario("go", ports, local);
    const ts = await serverScenario("ts", ports, local);
    // Sanity: the scenario saw traffic and both clients.
    const info = go["GET /api/serverinfo"].body as Record<string, unknown>;
    assertEquals(info.clientCounts, 2);
    assert((info.totalTrafficIn as number) >= 2007, "Go frps counted the traffic");
    compare(go, ts);
  },
});

// ----------------------------------------------------------------------- frpc admin API

async function adminScenario(
  impl: Impl,
  p: { bind: number; admin: number; r1: number; r2: number; r3: number; http: number },
  local: { echo: number; udp: number; http: number },
  frpsBind: number,
): Promise<Record<string, Captured | { code: number; out: string }>> {
  const out: Record<string, Captured | { code: number; out: string }> = {};
  const config = {
    serverAddr: "127.0.0.1",
    serverPort: frpsBind,
    auth: { token: TOKEN },
    user: "u",
    webServer: { addr: "127.0.0.1", port: p.admin, user: "a", password: "b" },
    proxies: [
      { name: "t1", type: "tcp", localPort: local.echo, remotePort: p.r1 },
      { name: "u1", type: "udp", localPort: local.udp, remotePort: p.r3 },
      {
        name: "h1",
        type: "http",
        localPort: local.http,
        customDomains: ["h1.test.local"],
        locations: ["/x"],
        requestHeaders: { set: { "x-a": "1" } },
      },
      { name: "bad", type: "tcp", localPort: local.echo, remotePort: 9 },
    ],
  };
  const frpc = await startFrpc({ impl, config });
  await using _frpc = frpc;
  const base = `http://127.0.0.1:${p.admin}`;
  const auth = { authorization: "Basic " + btoa("a:b") };
  return await withLogs([frpc], async () => {
    await waitFor("proxies settled", async () => {
      const s = await (await fetch(`${base}/api/status`, { headers: auth })).json();
      const rows = Object.values(s as Record<string, { status: string }[]>).flat();
      return rows.length === 4 && rows.every((r) => r.status !== "wait start" && r.status !== "new")
        ? true
        : undefined;
    });
    for (
      const path of [
        "/api/status",
        "/api/proxy/t1/config",
        "/api/proxy/u1/config",
        "/api/proxy/h1/config",
        "/api/proxy/zz/config",
        "/api/visitor/zz/config",
        "/api/nope",
      ]
    ) out[`GET ${path}`] = await capture(base + path, { headers: auth });
    out["GET /api/status without auth"] = await capture(`${base}/api/status`);
    out["GET /healthz"] = await capture(`${base}/healthz`);
    out["GET /api/stop (405)"] = await capture(`${base}/api/stop`, { headers: auth });
    out["PUT /api/config empty"] = await capture(`${base}/api/config`, {
      method: "PUT",
      headers: auth,
    });
    out["frpc status"] = await frpcCli(impl, ["status", "-c", frpc.configPath]);

    // a reload of a broken file is refused (400) and changes nothing
    const original = await Deno.readTextFile(frpc.configPath);
    await Deno.writeTextFile(frpc.configPath, original + "\n[[proxies]]\nname = 1\n");
    // (only codes compared: config error texts are the config loader's, see docs/api.md)
    const bad = await frpcCli(impl, ["reload", "-c", frpc.configPath]);
    out["frpc reload (invalid file)"] = { code: bad.code, out: "" };
    const badApi = await capture(`${base}/api/reload`, { headers: auth });
    const msg = (badApi.body as { Msg: string }).Msg;
    assert(msg.startsWith("invalid argument: "), `reload error text: ${msg}`);
    out["GET /api/reload (invalid file)"] = { ...badApi, body: "" };
    // reload after editing the file: a new tcp proxy starts and carries bytes
    const edited = toToml({
      ...config,
      proxies: [...config.proxies, {
        name: "t2",
        type: "tcp",
        localPort: local.echo,
        remotePort: p.r2,
      }],
    });
    await Deno.writeTextFile(frpc.configPath, edited);
    out["frpc reload"] = await frpcCli(impl, ["reload", "-c", frpc.configPath]);
    const payload = randomBytes(4096);
    const back = await withTimeout(
      waitFor("t2 reachable", async () => {
        const b = await tcpRoundTrip(p.r2, payload, 2000);
        return b.length === payload.length ? b : undefined;
      }),
      15000,
      "reloaded proxy",
    );
    assertEquals(back.length, 4096, "bytes through the reloaded proxy");
    out["GET /api/status after reload"] = await capture(`${base}/api/status`, { headers: auth });
    out["frpc stop"] = await frpcCli(impl, ["stop", "-c", frpc.configPath]);
    out["exit code after stop"] = { code: (await frpc.waitExit(10000)).code, out: "" };
    return out;
  });
}

Deno.test({
  name: "frpc admin API and reload/status/stop: same as Go frpc",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using echo = startTcpEcho();
    await using udp = await startUdpEcho();
    await using http = startHttpHello();
    const [bind, vh, admin, r1, r2] = freePorts(5);
    const r3 = await freeUdpPort();
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindAddr: "127.0.0.1",
        bindPort: bind,
        proxyBindAddr: "127.0.0.1",
        vhostHTTPPort: vh,
        auth: { token: TOKEN },
        allowPorts: [{ start: 1024, end: 65535 }],
      },
    });
    const ports = { bind, admin, r1, r2, r3, http: vh };
    const local = { echo: echo.port, udp: udp.port, http: http.port };
    const go = await withLogs([frps], () => adminScenario("go", ports, local, bind));
    const ts = await withLogs([frps], () => adminScenario("ts", ports, local, bind));
    assertEquals(go["frpc reload"], { code: 0, out: "reload success\n" }, "Go frpc reload");
    assertEquals(go["exit code after stop"], { code: 0, out: "" });
    compare(go, ts);
  },
});
