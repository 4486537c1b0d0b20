/**
 * frps server plugins (behaviour.md §10): an in-test plugin server (raw HTTP/1.1 over TCP, so
 * header order is visible) records every request. The same scenario runs against Go frps and
 * ours and the requests (request line, header order and values, JSON bodies with the random
 * parts masked) must match; then rejections and a modified NewProxy.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp, type Impl, startFrpc, startFrps } from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import { makeTestPki } from "../_helpers/pki.ts";

const TOKEN = "plugin-token";
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Recorded {
  requestLine: string;
  headers: [string, string][];
  body: { version: string; op: string; content: Record<string, unknown> };
  rawBody: string;
}

type Decide = (r: Recorded) => Record<string, unknown>;

/** A minimal keep-alive HTTP/1.1 server that records plugin requests. */
function startPluginServer(decide: Decide) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Recorded[] = [];
  const conns = new Set<Deno.Conn>();
  const serveConn = async (conn: Deno.Conn) => {
    let buf = new Uint8Array(0);
    const more = async () => {
      const chunk = new Uint8Array(65536);
      const n = await conn.read(chunk);
      if (n === null) return false;
      const nb = new Uint8Array(buf.length + n);
      nb.set(buf);
      nb.set(chunk.subarray(0, n), buf.length);
      buf = nb;
      return true;
    };
    for (;;) {
      let end: number;
      while ((end = dec.decode(buf).indexOf("\r\n\r\n")) < 0) if (!(await more())) return;
      const head = dec.decode(buf.subarray(0, end)).split("\r\n");
      const headers = head.slice(1).map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
      });
      const len = Number(headers.find(([k]) => k.toLowerCase() === "content-length")?.[1] ?? 0);
      while (buf.length < end + 4 + len) if (!(await more())) return;
      const rawBody = dec.decode(buf.subarray(end + 4, end + 4 + len));
      buf = buf.slice(end + 4 + len);
      const rec = { requestLine: head[0], headers, body: JSON.parse(rawBody), rawBody };
      seen.push(rec);
      const out = enc.encode(JSON.stringify(decide(rec)));
      await conn.write(enc.encode(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${out.length}\r\n\r\n`,
      ));
      await conn.write(out);
    }
  };
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serveConn(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    seen,
    ops: () => seen.map((r) => r.body.op),
    [Symbol.asyncDispose]: () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      return Promise.resolve();
    },
  };
}

const ALL_OPS = ["Login", "NewProxy", "CloseProxy", "Ping", "NewWorkConn", "NewUserConn"];
const ok = () => ({ reject: false, unchange: true });

function frpsConfig(bindPort: number, pluginPort: number, extra: Record<string, unknown> = {}) {
  return {
    bindAddr: "127.0.0.1",
    bindPort,
    auth: { token: TOKEN },
    httpPlugins: [{
      name: "rec",
      addr: `127.0.0.1:${pluginPort}`,
      path: "/handler",
      ops: ALL_OPS,
    }],
    ...extra,
  };
}

async function waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Random or connection-specific values replaced, so two runs compare equal. */
function mask(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => mask(x));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x, k)]));
  }
  if (["timestamp", "privilege_key", "run_id", "remote_port"].includes(key) && v) {
    return "<masked>";
  }
  if (["client_address", "remote_addr"].includes(key) && typeof v === "string") {
    return v.replace(/:\d+$/, ":<port>");
  }
  return v;
}

function normalize(r: Recorded) {
  return {
    requestLine: r.requestLine,
    headers: r.headers.map(([k, v]) =>
      k === "X-Frp-Reqid"
        ? [k, /^[0-9a-f]{16}$/.test(v) ? "<16 hex>" : v]
        : k === "Content-Length" || k === "Host"
        ? [k, "<n>"]
        : [k, v]
    ),
    body: mask(r.body),
    // the exact bytes (key order, Go's HTML-safe escaping), random values masked
    rawBody: r.rawBody.replace(/"(timestamp|remote_port)":\d+/g, '"$1":0')
      .replace(/"(privilege_key|run_id)":"[0-9a-f]+"/g, '"$1":"x"')
      .replace(/"((?:client|remote)_addr(?:ess)?)":"([^"]*):\d+"/g, '"$1":"$2:0"'),
  };
}

/** The full scenario; returns the first request of each op (normalized). */
async function scenario(server: Impl, client: Impl) {
  const [bindPort, remotePort] = freePorts(2);
  await using plugin = startPluginServer(ok);
  await using echo = startTcpEcho();
  await using frps = await startFrps({
    impl: server,
    config: frpsConfig(bindPort, plugin.port, { transport: { tcpMux: false } }),
  });
  const frpc = await startFrpc({
    impl: client,
    config: {
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      user: "alice",
      metadatas: { zone: "b", app: "a<&>" },
      auth: { token: TOKEN },
      transport: { tcpMux: false, poolCount: 1, heartbeatInterval: 1 },
      proxies: [{
        name: "echo",
        type: "tcp",
        localPort: echo.port,
        remotePort,
        metadatas: { k2: "v2", k1: "v1" },
      }],
    },
  });
  try {
    await frpc.waitForLine(/\[echo\] start proxy success/, 15000);
    const data = enc.encode("hello plugins");
    assertEquals(await tcpRoundTrip(remotePort, data), data);
    await waitFor(() => plugin.ops().includes("Ping"), "Ping");
    await frpc.kill();
    await waitFor(() => plugin.ops().includes("CloseProxy"), "CloseProxy");
  } catch (err) {
    await frpc.kill();
    throw new Error(`${err}\n${frps.output()}\n${frpc.output()}`);
  }
  const first = new Map<string, ReturnType<typeof normalize>>();
  for (const r of plugin.seen) if (!first.has(r.body.op)) first.set(r.body.op, normalize(r));
  return first;
}

Deno.test({
  name: "server plugins: every op's request matches Go frps (request line, headers, body)",
  ignore: !hasTsFrp() || !hasGoFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const go = await scenario("go", "go");
    const ts = await scenario("ts", "go");
    for (const op of ALL_OPS) {
      assert(go.has(op), `Go frps sent no ${op}`);
      assertEquals(ts.get(op), go.get(op), `${op} request`);
    }
    const login = go.get("Login")!;
    assertEquals(login.requestLine, "POST /handler?op=Login&version=0.1.0 HTTP/1.1");
    assert(login.rawBody.includes('"app":"a\\u003c\\u0026\\u003e"'), login.rawBody);
  },
});

Deno.test({
  name: "server plugins: our frpc against our frps sends every op",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const ts = await scenario("ts", "ts");
    for (const op of ALL_OPS) assert(ts.has(op), `no ${op}`);
    const np = ts.get("NewProxy")!.body as { content: Record<string, unknown> };
    assertEquals(np.content.user, {
      user: "alice",
      metas: { app: "a<&>", zone: "b" },
      run_id: "<masked>",
    });
    assertEquals(np.content.proxy_name, "alice.echo");
  },
});

async function rejectLogin(server: Impl): Promise<void> {
  const [bindPort] = freePorts(1);
  await using plugin = startPluginServer((r) =>
    r.body.op === "Login" ? { reject: true, reject_reason: "user alice is banned" } : ok()
  );
  await using _frps = await startFrps({ impl: server, config: frpsConfig(bindPort, plugin.port) });
  await using frpc = await startFrpc({
    impl: "ts",
    waitFor: null,
    config: {
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      user: "alice",
      auth: { token: TOKEN },
      loginFailExit: true,
    },
  });
  const st = await frpc.waitExit(20000);
  assert(!st.success, "frpc should exit with an error");
  assert(/user alice is banned/.test(frpc.output()), frpc.output());
}

for (const server of ["ts", "go"] as Impl[]) {
  Deno.test({
    name: `server plugins: a rejected Login reaches frpc (${server} frps)`,
    ignore: !hasTsFrp() || (server === "go" && !hasGoFrp()),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => rejectLogin(server),
  });
}

Deno.test({
  name: "server plugins: NewProxy rewritten (remote_port), NewUserConn rejected, errors",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const [bindPort, askedPort, newPort, otherPort] = freePorts(4);
    let rejectUsers = false;
    await using plugin = startPluginServer((r) => {
      const c = r.body.content;
      if (r.body.op === "NewProxy" && c.proxy_name === "echo") {
        return { unchange: false, content: { ...c, remote_port: newPort } };
      }
      if (r.body.op === "NewProxy" && c.proxy_name === "other") {
        return { reject: true, reject_reason: "no other proxies" };
      }
      if (r.body.op === "NewUserConn" && rejectUsers) {
        return { reject: true, reject_reason: "not now" };
      }
      return ok();
    });
    await using echo = startTcpEcho();
    await using frps = await startFrps({ impl: "ts", config: frpsConfig(bindPort, plugin.port) });
    await using frpc = await startFrpc({
      impl: "ts",
      config: {
        serverAddr: "127.0.0.1",
        serverPort: bindPort,
        auth: { token: TOKEN },
        proxies: [
          { name: "echo", type: "tcp", localPort: echo.port, remotePort: askedPort },
          { name: "other", type: "tcp", localPort: echo.port, remotePort: otherPort },
        ],
      },
    });
    try {
      await frpc.waitForLine(/\[echo\] start proxy success/, 15000);
      await frpc.waitForLine(/\[other\] start error: no other proxies/, 15000);
      const data = enc.encode("moved");
      assertEquals(await tcpRoundTrip(newPort, data), data);
      await Deno.connect({ hostname: "127.0.0.1", port: askedPort }).then(
        (c) => {
          c.close();
          throw new Error("the asked port should not be bound");
        },
        () => {},
      );
      rejectUsers = true;
      const got = await tcpRoundTrip(newPort, data);
      assertEquals(got.length, 0, "rejected user conn must be closed");
      await frps.waitForLine(/the user conn \[127\.0\.0\.1:\d+\] was rejected, err:not now/);
      const uc = plugin.seen.find((r) => r.body.op === "NewUserConn")!;
      assertEquals(uc.body.content.proxy_name, "echo");
      assertEquals(uc.body.content.proxy_type, "tcp");
    } catch (err) {
      throw new Error(`${err}\n${frps.output()}\n${frpc.output()}`);
    }
  },
});

Deno.test({
  name: "server plugins: an unreachable plugin fails the operation with Go's text",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const [bindPort, deadPort] = freePorts(2);
    await using frps = await startFrps({ impl: "ts", config: frpsConfig(bindPort, deadPort) });
    await using frpc = await startFrpc({
      impl: "ts",
      waitFor: null,
      config: {
        serverAddr: "127.0.0.1",
        serverPort: bindPort,
        auth: { token: TOKEN },
        loginFailExit: true,
      },
    });
    await frpc.waitExit(20000);
    assert(/send Login request to plugin error/.test(frpc.output()), frpc.output());
    assert(/send Login request to plugin \[rec\] error: /.test(frps.output()), frps.output());
  },
});

Deno.test({
  name: "server plugins: https addr, certificate checked only with tlsVerify",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "frp-plugin-pki-" });
    try {
      const pki = await makeTestPki(dir);
      const seen: string[] = [];
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(pki.serverCert),
        key: await Deno.readTextFile(pki.serverKey),
        onListen() {},
      }, async (req) => {
        const body = await req.json();
        seen.push(`${new URL(req.url).search} ${body.op}`);
        return Response.json({ reject: false, unchange: true });
      });
      const port = server.addr.port;
      for (const tlsVerify of [false, true]) {
        const [bindPort] = freePorts(1);
        const cfg = frpsConfig(bindPort, 0);
        cfg.httpPlugins = [
          {
            name: "tls",
            addr: `https://127.0.0.1:${port}`,
            path: "/p",
            ops: ["Login"],
            tlsVerify,
          } as (typeof cfg.httpPlugins)[0],
        ];
        await using frps = await startFrps({ impl: "ts", config: cfg });
        await using frpc = await startFrpc({
          impl: "ts",
          waitFor: null,
          config: {
            serverAddr: "127.0.0.1",
            serverPort: bindPort,
            auth: { token: TOKEN },
            loginFailExit: true,
          },
        });
        if (!tlsVerify) {
          await frpc.waitForLine(/login to server success/);
          assertEquals(seen, ["?op=Login&version=0.1.0 Login"]);
        } else {
          await frpc.waitExit(20000);
          assert(/send Login request to plugin error/.test(frpc.output()), frpc.output());
          assert(/plugin \[tls\] error: /.test(frps.output()), frps.output());
          assertEquals(seen.length, 1);
        }
      }
      await server.shutdown();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
