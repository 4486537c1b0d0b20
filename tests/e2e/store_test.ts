/**
 * frpc's store (`store.path`) and its `/api/store/proxies|visitors` CRUD: the same calls
 * against Go frpc v0.70.1 and ours (both on our frps, same ports) must answer with the same
 * status codes and JSON; a stored proxy tunnels, shows in `/api/status` as `source: store`,
 * is persisted to the file, survives a restart and a reload. Each frpc also reads the store
 * file the other wrote.
 */
import { assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  hasGoFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";

const TOKEN = "store-token";
const AUTH = { authorization: "Basic " + btoa("a:b") };

interface Captured {
  status: number;
  body: unknown;
}

async function call(url: string, method = "GET", body?: unknown): Promise<Captured> {
  const res = await fetch(url, {
    method,
    headers: AUTH,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const json = (res.headers.get("content-type") ?? "").startsWith("application/json");
  return { status: res.status, body: json ? JSON.parse(text) : text };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timeout waiting for ${what}${last ? `: ${last}` : ""}`);
}

async function tunnels(port: number): Promise<void> {
  const msg = new TextEncoder().encode(`store ${port}`);
  await until(`tunnel on ${port}`, async () => {
    const back = await tcpRoundTrip(port, msg, 2000);
    return new TextDecoder().decode(back) === `store ${port}` ? true : undefined;
  });
}

/** The rows of `/api/status` as `name → source`, once `name` is running. */
async function statusSources(base: string, running: string): Promise<Record<string, string>> {
  return await until(`${running} running`, async () => {
    const s = (await call(`${base}/api/status`)).body as Record<
      string,
      { name: string; status: string; source?: string }[]
    >;
    const rows = Object.values(s).flat();
    if (!rows.some((r) => r.name === running && r.status === "running")) return undefined;
    return Object.fromEntries(rows.map((r) => [r.name, r.source ?? ""]));
  });
}

async function scenario(
  impl: Impl,
  ports: { frps: number; admin: number; r1: number; r2: number; file: number },
  echo: number,
  dir: string,
): Promise<Record<string, Captured>> {
  const out: Record<string, Captured> = {};
  const config = {
    serverAddr: "127.0.0.1",
    serverPort: ports.frps,
    auth: { token: TOKEN },
    loginFailExit: true,
    webServer: { addr: "127.0.0.1", port: ports.admin, user: "a", password: "b" },
    store: { path: `${dir}/store-${impl}.json` },
    proxies: [{ name: "file1", type: "tcp", localPort: echo, remotePort: ports.file }],
  };
  const base = `http://127.0.0.1:${ports.admin}`;
  const procs: Proc[] = [];
  try {
    const frpc = await startFrpc({ impl, config });
    procs.push(frpc);
    await withLogs(procs, async () => {
      const P = `${base}/api/store/proxies`;
      const V = `${base}/api/store/visitors`;
      const st1 = { name: "st1", type: "tcp", tcp: { localPort: echo, remotePort: ports.r1 } };
      out["GET empty"] = await call(P);
      out["POST st1"] = await call(P, "POST", st1);
      out["POST st1 again"] = await call(P, "POST", st1);
      out["POST no name"] = await call(P, "POST", { type: "tcp", tcp: {} });
      out["POST bad type"] = await call(P, "POST", { name: "x", type: "nope", tcp: {} });
      out["POST no block"] = await call(P, "POST", { name: "x", type: "tcp" });
      out["POST two blocks"] = await call(P, "POST", { name: "x", type: "tcp", tcp: {}, udp: {} });
      out["POST block mismatch"] = await call(P, "POST", { name: "x", type: "tcp", udp: {} });
      out["POST invalid"] = await call(P, "POST", {
        name: "h",
        type: "http",
        http: { localPort: 1 },
      });
      out["POST empty body"] = await call(P, "POST", "");
      const bad = await call(P, "POST", "{nope");
      out["POST bad JSON (status)"] = { status: bad.status, body: "" };
      out["GET st1"] = await call(`${P}/st1`);
      out["GET missing"] = await call(`${P}/zz`);
      await tunnels(ports.r1);
      out["status sources"] = { status: 200, body: await statusSources(base, "st1") };
      const st1b = { ...st1, tcp: { ...st1.tcp, remotePort: ports.r2 } };
      out["PUT st1"] = await call(`${P}/st1`, "PUT", st1b);
      out["PUT name mismatch"] = await call(`${P}/other`, "PUT", st1b);
      out["PUT missing"] = await call(`${P}/zz`, "PUT", { ...st1b, name: "zz" });
      await tunnels(ports.r2);
      const v1 = {
        name: "v1",
        type: "stcp",
        stcp: { serverName: "st1", secretKey: "k", bindPort: -1 },
      };
      out["POST visitor"] = await call(V, "POST", v1);
      out["POST visitor no server"] = await call(V, "POST", {
        name: "v2",
        type: "stcp",
        stcp: { bindPort: 1 },
      });
      out["GET visitors"] = await call(V);
      out["GET proxy config (store)"] = await call(`${base}/api/proxy/st1/config`);
      out["GET list"] = await call(P);
      out["DELETE visitor"] = await call(`${V}/v1`, "DELETE");
      out["DELETE visitor missing"] = await call(`${V}/v1`, "DELETE");
      out["GET /api/reload"] = await call(`${base}/api/reload`);
      out["status after reload"] = { status: 200, body: await statusSources(base, "st1") };
      await tunnels(ports.r2);
    });
    // The store file survives a restart.
    await frpc.kill();
    const text = await Deno.readTextFile(config.store.path);
    await Deno.writeTextFile(`${dir}/snapshot-${impl}.json`, text);
    const file = JSON.parse(text);
    assertEquals(file.proxies.map((p: { name: string }) => p.name), ["st1"], "store file");
    const again = await startFrpc({ impl, config });
    procs.push(again);
    await withLogs(procs, async () => {
      out["GET list after restart"] = await call(`${base}/api/store/proxies`);
      await tunnels(ports.r2);
      out["DELETE st1"] = await call(`${base}/api/store/proxies/st1`, "DELETE");
      out["DELETE st1 again"] = await call(`${base}/api/store/proxies/st1`, "DELETE");
      out["status after delete"] = { status: 200, body: await statusSources(base, "file1") };
      out["GET list after delete"] = await call(`${base}/api/store/proxies`);
    });
  } finally {
    for (const p of procs) await p.kill();
  }
  return out;
}

Deno.test("store: /api/store CRUD answers as Go frpc v0.70.1, persists and tunnels", async () => {
  await using echo = startTcpEcho();
  const [frpsPort, admin, r1, r2, file] = freePorts(5);
  await using frps = await startFrps({
    impl: "ts",
    config: { bindAddr: "127.0.0.1", bindPort: frpsPort, auth: { token: TOKEN } },
  });
  const dir = await Deno.makeTempDir({ prefix: "frp-store-" });
  try {
    const ports = { frps: frpsPort, admin, r1, r2, file };
    const ts = await withLogs([frps], () => scenario("ts", ports, echo.port, dir));
    // the store proxy is marked, the file's is not
    assertEquals((ts["status sources"].body as Record<string, string>).st1, "store");
    assertEquals((ts["status sources"].body as Record<string, string>).file1, "");
    if (!hasGoFrp()) return;
    const go = await withLogs([frps], () => scenario("go", ports, echo.port, dir));
    for (const k of Object.keys(go)) assertEquals(ts[k], go[k], k);
    assertEquals(Object.keys(ts), Object.keys(go));
    // each frpc reads the store file the other wrote (as it was before the restart)
    for (const [impl, writer] of [["ts", "go"], ["go", "ts"]] as const) {
      await using reader = await startFrpc({
        impl,
        config: {
          serverAddr: "127.0.0.1",
          serverPort: frpsPort,
          auth: { token: TOKEN },
          webServer: { addr: "127.0.0.1", port: admin, user: "a", password: "b" },
          store: { path: `${dir}/snapshot-${writer}.json` },
        },
      });
      await withLogs([frps, reader], async () => {
        assertEquals(
          await call(`http://127.0.0.1:${admin}/api/store/proxies`),
          go["GET list after restart"],
          `${impl} frpc reading ${writer}'s store file`,
        );
        await tunnels(r2);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
