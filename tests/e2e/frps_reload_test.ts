/**
 * frps hot reload (beyond Go frp, docs/beyond-frp.md): SIGHUP, `PUT /api/reload` and
 * `frps reload -c` apply a changed config while an open user connection keeps streaming; a bad
 * config (syntax, bindPort) is refused with the reason and changes nothing; a token change
 * keeps established sessions and makes new logins use the new token (Go frpc too); an
 * allowPorts change affects new proxies only; a vhost port opens and closes.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, type Proc, REPO_ROOT, startFrpc, startFrps } from "../_helpers/proc.ts";
import { FRPS_FLAGS } from "../_helpers/permissions.ts";
import { startTcpEcho, tcpRoundTrip, withTimeout } from "../_helpers/services.ts";
import { toToml } from "../_helpers/toml.ts";

const OPTS = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Rewrites the running frps's config file. */
async function rewrite(frps: Proc, config: Record<string, unknown> | string): Promise<void> {
  await Deno.writeTextFile(
    frps.configPath,
    typeof config === "string" ? config : toToml(config),
  );
}

/** Counts lines matching `re` so far. */
function count(p: Proc, re: RegExp): number {
  return p.lines.filter((l) => re.test(l)).length;
}

/** Waits until `p` has logged `n` lines matching `re`. */
async function waitCount(p: Proc, re: RegExp, n: number, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (count(p, re) < n) {
    if (Date.now() > end) throw new Error(`expected ${n} lines ${re}\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function apiReload(
  dash: number,
  auth = "admin:pw",
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${dash}/api/reload`, {
    method: "PUT",
    headers: { authorization: `Basic ${btoa(auth)}` },
  });
  return { status: res.status, body: await res.text() };
}

/** Runs `frps reload -c <path>`; its exit code and output. */
async function cliReload(configPath: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...FRPS_FLAGS, `${REPO_ROOT}/server/main.ts`, "reload", "-c", configPath],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/**
 * Streams a byte pattern through an echo connection without pause and checks every byte that
 * comes back; `received()` grows while the tunnel carries data.
 */
function stream(conn: Deno.Conn): { received(): number; stop(): Promise<void> } {
  let stopped = false;
  let sent = 0;
  let received = 0;
  const chunk = new Uint8Array(512);
  const writer = (async () => {
    while (!stopped) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i) % 251;
      let off = 0;
      while (off < chunk.length) off += await conn.write(chunk.subarray(off));
      sent += chunk.length;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  let failure: Error | undefined;
  (async () => {
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`stream closed after ${received} bytes`);
      for (let i = 0; i < n; i++) {
        if (buf[i] !== (received + i) % 251) throw new Error(`corrupt byte at ${received + i}`);
      }
      received += n;
    }
  })().catch((err) => failure ??= stopped ? undefined : err);
  return {
    received: () => {
      if (failure) throw failure;
      return received;
    },
    stop: async () => {
      stopped = true;
      await writer;
      await withTimeout(
        (async () => {
          while (received < sent && !failure) await new Promise((r) => setTimeout(r, 20));
        })(),
        10000,
        "stream drain",
      );
      if (failure) throw failure;
    },
  };
}

async function refused(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return false;
  } catch {
    return true;
  }
}

Deno.test({
  name: "frps reload: 10 reloads (SIGHUP, API, frps reload) keep a user connection streaming",
  ...OPTS,
  fn: async () => {
    await using echoSvc = startTcpEcho();
    const [bindPort, dash, remote, vhost1, vhost2] = freePorts(5);
    const base = {
      bindPort,
      auth: { token: "t0" },
      webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "pw" },
      log: { level: "info" },
    };
    await using frps = await startFrps({ impl: "ts", config: base });
    await using _frpc = await startFrpc({
      impl: "ts",
      config: {
        serverPort: bindPort,
        auth: { token: "t0" },
        proxies: [{
          name: "keep",
          type: "tcp",
          localPort: echoSvc.port,
          remotePort: remote,
          transport: { useEncryption: true, useCompression: true },
        }],
      },
      waitFor: /start proxy success/,
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: remote });
    try {
      const s = stream(conn);
      let before = 0;
      const flowing = async () => {
        await withTimeout(
          (async () => {
            while (s.received() < before + 4096) await new Promise((r) => setTimeout(r, 20));
          })(),
          10000,
          "stream keeps flowing",
        );
        before = s.received();
      };
      await flowing();
      const ok = /reload frps config success/;
      for (let i = 1; i <= 10; i++) {
        // Each reload changes something live: token, log level, a vhost port on and off.
        const vhostHTTPPort = i % 3 === 0 ? 0 : i % 2 === 0 ? vhost1 : vhost2;
        await rewrite(frps, {
          ...base,
          auth: { token: `t${i}` },
          log: { level: i % 2 ? "debug" : "info" },
          vhostHTTPPort,
        });
        const how = i % 4 === 0 ? "cli" : i % 2 === 0 ? "api" : "sighup";
        if (how === "sighup") Deno.kill(frps.pid, "SIGHUP");
        else if (how === "api") assertEquals((await apiReload(dash)).status, 200);
        else {
          const r = await cliReload(frps.configPath);
          assertEquals(r.code, 0, r.out);
          assert(r.out.includes("reload success"), r.out);
        }
        await waitCount(frps, ok, i);
        await flowing();
        if (vhostHTTPPort > 0) {
          const res = await fetch(`http://127.0.0.1:${vhostHTTPPort}/`, {
            headers: { host: "nobody.example" },
          });
          await res.body?.cancel();
          assertEquals(res.status, 404, "vhost http port opened by the reload");
        }
        for (const p of [vhost1, vhost2]) {
          if (p !== vhostHTTPPort) assert(await refused(p), `vhost port ${p} should be closed`);
        }
      }
      await s.stop();
      // The session and its proxy are the originals (no re-login, no proxy restart).
      assertEquals(count(frps, /client login info/), 1);
      assertEquals(count(frps, /new proxy \[keep\]/), 1);
      // log.level follows the reloads: debug lines appear only while debug was set.
      assert(frps.lines.some((l) => / \[D\] /.test(l)), "no debug line after log.level=debug");
    } finally {
      conn.close();
    }
  },
});

Deno.test({
  name:
    "frps reload: a bad config is refused with the reason and nothing changes; then a good one applies",
  ...OPTS,
  fn: async () => {
    await using echoSvc = startTcpEcho();
    const [bindPort, dash, allowed, newlyAllowed, otherBind] = freePorts(5);
    const base = {
      bindPort,
      auth: { token: "tok" },
      allowPorts: [{ single: allowed }],
      webServer: { addr: "127.0.0.1", port: dash, user: "admin", password: "pw" },
    };
    await using frps = await startFrps({ impl: "ts", config: base });
    const bad = /reload frps config error/;

    // 1. Syntax error: all three ways say why.
    await rewrite(frps, toToml(base) + "\nthis is = = not toml\n");
    const api1 = await apiReload(dash);
    assertEquals(api1.status, 400, api1.body);
    assert(/toml|line|parse/i.test(api1.body), api1.body);
    const cli1 = await cliReload(frps.configPath);
    assertEquals(cli1.code, 1, cli1.out); // the CLI itself cannot parse the file either
    Deno.kill(frps.pid, "SIGHUP");
    await waitCount(frps, bad, 2);

    // 2. bindPort changed together with live keys: refused as a whole, bindPort named.
    const changed = { ...base, bindPort: otherBind, allowPorts: [{ single: newlyAllowed }] };
    await rewrite(frps, changed);
    const cli2 = await cliReload(frps.configPath);
    assertEquals(cli2.code, 1, cli2.out);
    assert(cli2.out.includes("[bindPort] cannot be changed by a reload"), cli2.out);
    await rewrite(frps, { ...changed, webServer: { ...base.webServer, password: "new" } });
    const api2 = await apiReload(dash);
    assertEquals(api2.status, 400, api2.body);
    assert(api2.body.includes("[bindPort] cannot be changed by a reload"), api2.body);
    await waitCount(frps, /\[bindPort\] cannot be changed by a reload/, 2);

    // Nothing changed: old password still works, the new one does not, no new listener,
    // and allowPorts is still the old one.
    assertEquals((await apiReload(dash, "admin:new")).status, 401);
    assert(await refused(otherBind), "bindPort must not have moved");
    await using frpc = await startFrpc({
      impl: "ts",
      config: {
        serverPort: bindPort,
        auth: { token: "tok" },
        proxies: [
          { name: "old", type: "tcp", localPort: echoSvc.port, remotePort: allowed },
          { name: "new", type: "tcp", localPort: echoSvc.port, remotePort: newlyAllowed },
        ],
      },
      waitFor: /\[new\] start error/,
    });
    await frpc.waitForLine(/\[old\] start proxy success/);
    assert(frpc.lines.some((l) => /\[new\] start error: port not allowed/.test(l)));
    assertEquals(count(frps, /reload frps config success/), 0);

    // 3. A vhost port another process holds: refused, naming the key; no other change applied.
    const blocker = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const taken = (blocker.addr as Deno.NetAddr).port;
    try {
      await rewrite(frps, {
        ...base,
        vhostHTTPPort: taken,
        webServer: { ...base.webServer, password: "new" },
      });
      const api3 = await apiReload(dash);
      assertEquals(api3.status, 400, api3.body);
      assert(api3.body.includes(`vhostHTTPPort [${taken}]`), api3.body);
      assertEquals((await apiReload(dash, "admin:new")).status, 401);
    } finally {
      blocker.close();
    }

    // 4. The good part alone goes through: new dashboard credentials from the next request on.
    await rewrite(frps, { ...base, webServer: { ...base.webServer, password: "new" } });
    assertEquals((await apiReload(dash)).status, 200);
    assertEquals((await apiReload(dash, "admin:pw")).status, 401);
    assertEquals((await apiReload(dash, "admin:new")).status, 200);
  },
});

Deno.test({
  name:
    "frps reload: token and allowPorts change; sessions stay, new logins and proxies follow (ts + Go frpc)",
  ...OPTS,
  fn: async () => {
    await using echoSvc = startTcpEcho();
    const [bindPort, r1, r2, r3] = freePorts(4);
    // No webServer: SIGHUP reloads without the dashboard.
    const base = { bindPort, auth: { token: "old" }, allowPorts: [{ single: r1 }, { single: r2 }] };
    await using frps = await startFrps({ impl: "ts", config: base });
    const proxy = (name: string, remotePort: number) => ({
      name,
      type: "tcp",
      localPort: echoSvc.port,
      remotePort,
      transport: { useEncryption: true },
    });
    const client = (token: string, proxies: Record<string, unknown>[]) => ({
      serverPort: bindPort,
      auth: { token },
      loginFailExit: true,
      proxies,
    });
    await using _first = await startFrpc({ impl: "ts", config: client("old", [proxy("a", r1)]) });
    await frps.waitForLine(/new proxy \[a\].*success/);
    await rewrite(frps, {
      ...base,
      auth: { token: "new" },
      allowPorts: [{ single: r1 }, { single: r3 }],
    });
    Deno.kill(frps.pid, "SIGHUP");
    await frps.waitForLine(/reload frps config success/);
    // The established session still works (its work conns are keyed by the old token), and
    // its proxy keeps r1.
    const data = enc.encode("through the old session");
    assertEquals(dec.decode(await tcpRoundTrip(r1, data)), "through the old session");
    // The old token no longer logs in.
    await using stale = await startFrpc({
      impl: "ts",
      config: client("old", [proxy("b", r3)]),
      waitFor: null,
    });
    assertEquals((await stale.waitExit(20000)).code, 1, stale.output());
    assert(stale.lines.some((l) => l.includes("token in login doesn't match")), stale.output());
    // The new token does, also for Go frpc; r2 is no longer allowed, r3 now is.
    const impl = hasGoFrp() ? "go" : "ts";
    await using _fresh = await startFrpc({
      impl,
      config: client("new", [proxy("c", r3), proxy("d", r2)]),
    });
    await frps.waitForLine(/new proxy \[d\] type \[tcp\] error: port not allowed/);
    await withTimeout(
      (async () => {
        for (;;) {
          try {
            const got = await tcpRoundTrip(r3, enc.encode("new session"), 3000);
            if (dec.decode(got) === "new session") return;
          } catch { /* proxy not up yet */ }
          await new Promise((r) => setTimeout(r, 200));
        }
      })(),
      15000,
      `${impl} frpc with the new token`,
    );
    // Without webServer, `frps reload` says what it needs (SIGHUP is the way here).
    const cli = await cliReload(frps.configPath);
    assertEquals(cli.code, 1, cli.out);
    assert(cli.out.includes("web server port should be set"), cli.out);
    // A reload adds a Login server plugin: new logins are asked, established sessions stay.
    const plugin = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => Response.json({ reject: true, reject_reason: "closed for maintenance" }),
    );
    try {
      await rewrite(frps, {
        ...base,
        auth: { token: "new" },
        allowPorts: [{ single: r1 }, { single: r3 }],
        httpPlugins: [{
          name: "gate",
          addr: `127.0.0.1:${plugin.addr.port}`,
          path: "/handler",
          ops: ["Login"],
        }],
      });
      Deno.kill(frps.pid, "SIGHUP");
      await waitCount(frps, /reload frps config success/, 2);
      await using gated = await startFrpc({ impl: "ts", config: client("new", []), waitFor: null });
      assertEquals((await gated.waitExit(20000)).code, 1, gated.output());
      assert(gated.lines.some((l) => l.includes("closed for maintenance")), gated.output());
      assertEquals(dec.decode(await tcpRoundTrip(r1, data)), "through the old session");
    } finally {
      await plugin.shutdown();
    }
  },
});
