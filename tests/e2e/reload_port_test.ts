/**
 * `frpc reload` of proxies whose settings change (here: localPort, to a second set of backends)
 * but keep their remote port / domain / name: frps gets CloseProxy then NewProxy at once and
 * must re-bind the same port (tcp, udp, tcp group) or re-register the same route (http, https,
 * tcpmux) or name (stcp, xtcp) without a gap — no `port unavailable`, every proxy serving the new
 * backend right after the reload returns. And a frpc restarted right after being stopped, or
 * logging in again (same run id) while frps still holds its old session, gets its ports back
 * (the old session's proxies close as the new ones bind). Run for ours, and against Go frp.
 */
import { assert } from "../_helpers/assert.ts";
import { freePorts, freeUdpPort } from "../_helpers/ports.ts";
import { hasGoFrp, type Impl, type Proc, startFrpc, startFrps } from "../_helpers/proc.ts";
import { withTimeout } from "../_helpers/services.ts";
import { selfSignedCert, tlsGreeting } from "../_helpers/vhost.ts";
import { startNamers, tcpText, udpText } from "../_helpers/namers.ts";
import { toToml } from "../_helpers/toml.ts";
import { startTcpRelay } from "../_helpers/relay.ts";

const TOKEN = "reload-token";
const SK = "reload-sk";
/**
 * Back in ~0.5 s here (udp: frps asks for its first work conn 500 ms after the proxy starts, as
 * Go does); bounded at 2 s so a loaded machine does not flake — a lost port costs ~30 s.
 */
const BACK_WITHIN_MS = 2000;

interface Ports {
  bind: number;
  admin: number;
  http: number;
  https: number;
  tcpmux: number;
  tcp: number;
  group: number;
  udp: number;
  visitor: number;
}

/** What each kind answers right now ("" when it does not). */
function probes(p: Ports, ca: string): Record<string, () => Promise<string>> {
  const safe = (f: () => Promise<string>) => () => f().catch(() => "");
  return {
    tcp: safe(async () => (await tcpText(p.tcp)).trim()),
    group: safe(async () => (await tcpText(p.group)).trim()),
    udp: safe(() => udpText(p.udp)),
    stcp: safe(async () => (await tcpText(p.visitor)).trim()),
    http: safe(async () => {
      const req = "GET / HTTP/1.1\r\nHost: h.reload.test\r\nConnection: close\r\n\r\n";
      const r = await tcpText(p.http, req);
      return r.startsWith("HTTP/1.1 200") ? r.slice(r.indexOf("\r\n\r\n") + 4) : "";
    }),
    https: safe(() =>
      withTimeout(tlsGreeting(p.https, "s.reload.test", ca), 1000, "https greeting")
    ),
    tcpmux: safe(async () => {
      const r = await tcpText(p.tcpmux, "CONNECT m.reload.test:80 HTTP/1.1\r\n\r\n");
      return r.startsWith("HTTP/1.1 200") ? r.slice(r.indexOf("\r\n\r\n") + 4).trim() : "";
    }),
  };
}

/** Polls every probe until all answer `want`; returns the kinds still wrong at `deadline`. */
async function waitAll(
  probe: Record<string, () => Promise<string>>,
  want: string,
  deadline: number,
): Promise<Record<string, string>> {
  const wrong: Record<string, string> = {};
  await Promise.all(
    Object.entries(probe).map(async ([kind, f]) => {
      for (;;) {
        const got = await f();
        if (got === want) return;
        if (Date.now() > deadline) {
          wrong[kind] = got;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return wrong;
}

function proxies(l: ReturnType<ReturnType<typeof startNamers>["ports"]>, p: Ports) {
  return [
    { name: "rt", type: "tcp", localPort: l.tcp, remotePort: p.tcp },
    {
      name: "rg",
      type: "tcp",
      localPort: l.tcp,
      remotePort: p.group,
      loadBalancer: { group: "g", groupKey: "k" },
    },
    { name: "ru", type: "udp", localPort: l.udp, remotePort: p.udp },
    { name: "rh", type: "http", localPort: l.http, customDomains: ["h.reload.test"] },
    { name: "rs", type: "https", localPort: l.https, customDomains: ["s.reload.test"] },
    {
      name: "rm",
      type: "tcpmux",
      multiplexer: "httpconnect",
      localPort: l.tcp,
      customDomains: ["m.reload.test"],
    },
    { name: "rst", type: "stcp", secretKey: SK, localPort: l.tcp },
    // xtcp: only its registration with frps's broker under the same name is checked here.
    { name: "rx", type: "xtcp", secretKey: SK, localPort: l.tcp },
  ].map((x) => ({ ...x, localIP: "127.0.0.1" }));
}

const RELOAD_PAIRS: Array<{ server: Impl; client: Impl }> = [
  { server: "ts", client: "ts" },
  { server: "ts", client: "go" },
  { server: "go", client: "ts" },
];

for (const { server, client } of RELOAD_PAIRS) {
  Deno.test({
    name: `reload [${client} frpc → ${server} frps] changed proxies keep their ports and routes`,
    ignore: (server === "go" || client === "go") && !hasGoFrp(),
    async fn() {
      const cert = await selfSignedCert(["s.reload.test"]);
      await using a = startNamers("A", cert);
      await using b = startNamers("B", cert);
      await Promise.all([a.ready, b.ready]);
      const [bind, admin, http, https, tcpmux, tcp, group, visitor] = freePorts(8);
      const p: Ports = { bind, admin, http, https, tcpmux, tcp, group, visitor, udp: 0 };
      p.udp = await freeUdpPort();
      await using frps = await startFrps({
        impl: server,
        config: {
          bindAddr: "127.0.0.1",
          bindPort: p.bind,
          auth: { token: TOKEN },
          vhostHTTPPort: p.http,
          vhostHTTPSPort: p.https,
          tcpmuxHTTPConnectPort: p.tcpmux,
        },
      });
      const common = { serverAddr: "127.0.0.1", serverPort: p.bind, auth: { token: TOKEN } };
      const config = (gen: typeof a) => ({
        ...common,
        webServer: { addr: "127.0.0.1", port: p.admin },
        proxies: proxies(gen.ports(), p),
      });
      await using frpc = await startFrpc({ impl: client, config: config(a) });
      await using vis = await startFrpc({
        impl: "ts",
        label: "visitor frpc",
        config: {
          ...common,
          visitors: [{
            name: "v",
            type: "stcp",
            serverName: "rst",
            secretKey: SK,
            bindAddr: "127.0.0.1",
            bindPort: p.visitor,
          }],
        },
      });
      const procs: Proc[] = [frps, frpc, vis];
      const fail = (msg: string) => {
        throw new Error(`${msg}\n${procs.map((x) => x.output()).join("\n")}`);
      };
      const probe = probes(p, cert.ca);
      const before = await waitAll(probe, "A", Date.now() + 15_000);
      if (Object.keys(before).length > 0) {
        fail(`not serving before reload: ${JSON.stringify(before)}`);
      }

      await Deno.writeTextFile(frpc.configPath, toToml(config(b)));
      const res = await fetch(`http://127.0.0.1:${p.admin}/api/reload`);
      await res.body?.cancel();
      assert(res.status === 200, `reload status ${res.status}`);
      const wrong = await waitAll(probe, "B", Date.now() + BACK_WITHIN_MS);
      if (Object.keys(wrong).length > 0) {
        fail(
          `not serving the new backend ${BACK_WITHIN_MS} ms after reload: ${JSON.stringify(wrong)}`,
        );
      }
      const bad = frps.lines.filter((l) =>
        /port unavailable|already (exists|used)|conflict/i.test(l)
      );
      if (bad.length > 0) fail(`frps complained:\n${bad.join("\n")}`);
      await waitCount(frpc, /\[rx\] start proxy success/, 2, BACK_WITHIN_MS);
    },
  });
}

// Go frpc restarts within milliseconds, the tightest race with the old session's close.
const RESTART_PAIRS: Array<{ server: Impl; client: Impl }> = [
  { server: "ts", client: "go" },
  { server: "go", client: "go" },
];

for (const { server, client } of RESTART_PAIRS) {
  Deno.test({
    name: `restart [${client} frpc → ${server} frps] a restarted frpc gets its ports back`,
    ignore: (server === "go" || client === "go") && !hasGoFrp(),
    async fn() {
      await using a = startNamers("A");
      await a.ready;
      const [bind, tcp] = freePorts(2);
      const udp = await freeUdpPort();
      await using frps = await startFrps({
        impl: server,
        config: { bindAddr: "127.0.0.1", bindPort: bind, auth: { token: TOKEN } },
      });
      const l = a.ports();
      const config = {
        serverAddr: "127.0.0.1",
        serverPort: bind,
        auth: { token: TOKEN },
        proxies: [
          { name: "rt", type: "tcp", localPort: l.tcp, remotePort: tcp },
          { name: "ru", type: "udp", localPort: l.udp, remotePort: udp },
        ],
      };
      const first = await startFrpc({
        impl: client,
        config,
        waitFor: /\[ru\] start proxy success/,
      });
      await first.kill();
      await using second = await startFrpc({ impl: client, config, waitFor: /login to server/ });
      const procs = [frps, first, second];
      const fail = (msg: string) => {
        throw new Error(`${msg}\n${procs.map((x) => x.output()).join("\n")}`);
      };
      const probe = {
        tcp: probes({ tcp } as Ports, "").tcp,
        udp: probes({ udp } as Ports, "").udp,
      };
      const wrong = await waitAll(probe, "A", Date.now() + 5000);
      if (Object.keys(wrong).length > 0) {
        fail(`not serving after restart: ${JSON.stringify(wrong)}`);
      }
      const bad = [...frps.lines, ...second.lines].filter((x) =>
        /port unavailable|already (exists|used)|start error/i.test(x)
      );
      if (bad.length > 0) fail(`complaints after restart:\n${bad.join("\n")}`);
    },
  });
}

const RELOGIN_PAIRS: Array<{ server: Impl; client: Impl }> = [
  { server: "ts", client: "ts" },
  { server: "ts", client: "go" },
  { server: "go", client: "go" },
];

for (const { server, client } of RELOGIN_PAIRS) {
  Deno.test({
    name: `re-login [${client} frpc → ${server} frps] replaces the old session, ports re-bound`,
    ignore: (server === "go" || client === "go") && !hasGoFrp(),
    async fn() {
      await using a = startNamers("A");
      await a.ready;
      const [bind, tcp] = freePorts(2);
      const udp = await freeUdpPort();
      await using frps = await startFrps({
        impl: server,
        config: { bindAddr: "127.0.0.1", bindPort: bind, auth: { token: TOKEN } },
      });
      await using relay = startTcpRelay(bind);
      const l = a.ports();
      await using frpc = await startFrpc({
        impl: client,
        config: {
          serverAddr: "127.0.0.1",
          serverPort: relay.port,
          auth: { token: TOKEN },
          proxies: [
            { name: "rt", type: "tcp", localPort: l.tcp, remotePort: tcp },
            { name: "ru", type: "udp", localPort: l.udp, remotePort: udp },
          ],
        },
        waitFor: /\[ru\] start proxy success/,
      });
      const fail = (msg: string) => {
        throw new Error(`${msg}\n${[frps, frpc].map((x) => x.output()).join("\n")}`);
      };
      // frpc loses its session (tcpMux: one conn) while frps still holds it: frpc logs in again
      // with its run id, and frps swaps the old session's proxies for the new ones.
      relay.dropClientSide(0);
      await waitCount(frpc, /\[ru\] start proxy success/, 2, 15_000);
      const probe = {
        tcp: probes({ tcp } as Ports, "").tcp,
        udp: probes({ udp } as Ports, "").udp,
      };
      const wrong = await waitAll(probe, "A", Date.now() + BACK_WITHIN_MS);
      if (Object.keys(wrong).length > 0) {
        fail(`not serving after re-login: ${JSON.stringify(wrong)}`);
      }
      const bad = [...frps.lines, ...frpc.lines].filter((x) =>
        /port unavailable|already (exists|used)|start error/i.test(x)
      );
      if (bad.length > 0) fail(`complaints after re-login:\n${bad.join("\n")}`);
    },
  });
}

async function waitCount(p: Proc, re: RegExp, n: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (p.lines.filter((x) => re.test(x)).length < n) {
    if (Date.now() > end) throw new Error(`${p.label}: fewer than ${n} × ${re}\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
