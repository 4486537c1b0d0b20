/**
 * frps's SSH tunnel gateway (behaviour.md §14) with a real OpenSSH client: `ssh -R` publishes
 * a tcp echo (`--remote_port`) and an http service (`--custom_domain`, curl through the vhost),
 * the proxies show in the dashboard and reach the server plugins, closing ssh removes them,
 * bad commands get frp's messages, authorized_keys is enforced. Every scenario runs against
 * Go frps v0.70.1 too and the observable results (terminal text, exit codes, HTTP bodies,
 * plugin calls) must be the same.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import {
  hasGoFrp,
  hasTsFrp,
  type Impl,
  type Proc,
  startFrpc,
  startFrps,
  withLogs,
} from "../_helpers/proc.ts";
import { randomBytes, startHttpHello, startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import {
  curl,
  rawExchange,
  selfSignedCert,
  startTlsGreeter,
  tlsGreeting,
  waitUntil,
} from "../_helpers/vhost.ts";
import { hasOpenSsh, makeSshKey, type SshRun, startSsh } from "../_helpers/ssh.ts";

const ignore = !hasTsFrp() || !hasOpenSsh();
const IMPLS: Impl[] = hasGoFrp() ? ["ts", "go"] : ["ts"];
if (!hasGoFrp()) console.log("ssh_gateway_test: Go frp missing, comparing nothing with Go");
const AUTH = `Basic ${btoa("admin:admin")}`;
const CLOSED_BY_REMOTE = "Connection to 127.0.0.1 closed by remote host.\r\n";

function success(user: string, name: string, type: string, remote: string): string {
  return `\nfrp (via SSH) (Ctrl+C to quit)\n\nUser: ${user}\nProxyName: ${name}\nType: ${type}\n` +
    `RemoteAddress: ${remote}\n\n`;
}

/** A recording server-plugin endpoint: every op is allowed unchanged. */
function startPluginRecorder() {
  const seen: { op: string; content: Record<string, unknown> }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const body = await r.json();
    seen.push({ op: new URL(r.url).searchParams.get("op") ?? "", content: body.content });
    return Response.json({ reject: false, unchange: true });
  });
  return { port: server.addr.port, seen, close: () => server.shutdown() };
}

async function portClosed(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return false;
  } catch {
    return true;
  }
}

interface Observed {
  [k: string]: unknown;
}

/**
 * Runs `scenario` against every implementation in parallel (in a temp dir with one client key),
 * checks ours with `check`, then requires Go's observations to equal ours. How OpenSSH words
 * frps closing the socket depends on FIN/RST timing (Go sometimes gets "client_loop: send
 * disconnect: Broken pipe"), so only "it closed" is compared.
 */
async function acrossImpls(
  prefix: string,
  scenario: (impl: Impl, dir: string, key: string) => Promise<Observed>,
  check: (ts: Observed) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    const key = await makeSshKey(dir, "id", "anyone");
    const results = await Promise.all(IMPLS.map((i) => scenario(i, dir, key)));
    check(results[0]);
    if (results.length < 2) return;
    const norm = (o: Observed) =>
      JSON.parse(
        JSON.stringify(o),
        (_k, v) =>
          typeof v === "string" && /closed by remote host|Broken pipe|reset by peer/.test(v)
            ? "closed by frps"
            : v,
      );
    assertEquals(norm(results[0]), norm(results[1]));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** One run of a command that frps ends by itself: what the user sees. */
async function endedRun(ssh: SshRun): Promise<Observed> {
  const st = await ssh.done(15000);
  return { stdout: ssh.stdout, stderr: ssh.stderr, code: st.code };
}

/** The no-authorized-keys scenarios against one frps implementation. */
async function gatewayScenario(impl: Impl, dir: string, key: string): Promise<Observed> {
  const [bind, vhost, sshPort, web, rport, busyPort] = freePorts(6);
  await using echo = startTcpEcho();
  await using hello = startHttpHello(`hello over ssh from ${impl}`);
  const plugin = startPluginRecorder();
  const busy = Deno.listen({ hostname: "0.0.0.0", port: busyPort });
  await using frps = await startFrps({
    impl,
    config: {
      bindPort: bind,
      vhostHTTPPort: vhost,
      sshTunnelGateway: { bindPort: sshPort, autoGenPrivateKeyPath: `${dir}/${impl}_host_key` },
      webServer: { addr: "127.0.0.1", port: web, user: "admin", password: "admin" },
      httpPlugins: [{
        name: "rec",
        addr: `127.0.0.1:${plugin.port}`,
        path: "/handler",
        ops: ["NewProxy", "CloseProxy"],
      }],
    },
  });
  const out: Observed = {};
  try {
    await withLogs([frps], async () => {
      const ssh = (command: string[], port = echo.port) =>
        startSsh({ port: sshPort, key, forward: `:80:127.0.0.1:${port}`, command });
      // Error paths first, concurrently: each ends the session with frp's message.
      const errors = {
        badType: ssh(["foo"]),
        unknownFlag: ssh(["tcp", "--bogus"]),
        badInt: ssh(["tcp", "-r", "abc"]),
        noValue: ssh(["tcp", "-r"]),
        help: ssh(["http", "-h"]),
        portInUse: ssh(["tcp", "--remote_port", String(busyPort)]),
        noCommand: ssh([]),
      };
      for (const [k, run] of Object.entries(errors)) out[k] = await endedRun(run);

      // tcp: an echo through --remote_port
      await using tcp = ssh([
        "tcp",
        "--remote_port",
        String(rport),
        "--proxy_name",
        "echo",
        "-u",
        "carol",
      ]);
      await tcp.waitFor(/RemoteAddress: .*\n\n/);
      assertEquals(tcp.stdout, success("carol", "echo", "tcp", `:${rport}`));
      const payload = randomBytes(200_000);
      assertEquals(await tcpRoundTrip(rport, payload), payload, "echo through ssh -R");

      // http: curl through the vhost
      await using http = ssh(
        ["http", "--custom_domain", "test.example.com", "-n", "web"],
        hello.port,
      );
      await http.waitFor(/RemoteAddress: .*\n\n/);
      assertEquals(http.stdout, success("", "web", "http", `test.example.com:${vhost}`));
      const r = await curl(["-H", "Host: test.example.com", `http://127.0.0.1:${vhost}/`]);
      out.httpStatus = r.status;
      out.httpBody = r.body.replace(impl, "IMPL");
      out.duplicate = await endedRun(ssh(["http", "-d", "other.example.com", "-n", "web"]));

      // the dashboard lists both like frpc proxies
      const api = async (type: string) =>
        (await (await fetch(`http://127.0.0.1:${web}/api/proxy/${type}`, {
          headers: { authorization: AUTH },
        })).json()).proxies.map((p: { name: string; status: string }) => `${p.name}:${p.status}`);
      out.dashboard = [...await api("tcp"), ...await api("http")];

      // closing the ssh session removes the proxy (port, vhost route, CloseProxy plugin call)
      await tcp.kill();
      await http.kill();
      await waitUntil(() => portClosed(rport), 10000, "remote port closed after ssh exit");
      await waitUntil(
        () => plugin.seen.filter((s) => s.op === "CloseProxy").length >= 2,
        10000,
        "CloseProxy plugin calls",
      );
      const after = await curl(["-H", "Host: test.example.com", `http://127.0.0.1:${vhost}/`]);
      out.httpStatusAfterClose = after.status;
      out.plugin = plugin.seen.map((s) => {
        const c = s.content as {
          user?: { user?: string };
          proxy_name?: string;
          remote_port?: number;
        };
        const name = c.proxy_name?.replace(/^(sshtunnel-\w+-)[0-9a-f]{8}$/, "$1X");
        return `${s.op} ${name} user=${c.user?.user ?? "?"}`;
      }).sort();
    });
  } finally {
    busy.close();
    await plugin.close();
  }
  return out;
}

Deno.test({
  name: "ssh gateway: tcp/http via ssh -R, dashboard, plugins, errors (ts and Go frps)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await acrossImpls("frp-ssh-", gatewayScenario, (ts) => {
      // What frp prints, checked on ours even without Go.
      assertEquals(ts.httpStatus, 200);
      assertEquals(ts.httpBody, "hello over ssh from IMPL");
      assertEquals(ts.httpStatusAfterClose, 404);
      assertEquals(ts.badType, {
        stdout: "invalid proxy type: foo, support types: [tcp http https tcpmux stcp]\n",
        stderr: CLOSED_BY_REMOTE,
        code: 255,
      });
      assertEquals((ts.unknownFlag as Observed).stdout, "unknown flag: --bogus\n");
      assertEquals((ts.portInUse as Observed).stdout, "port unavailable\n");
      assertEquals((ts.duplicate as Observed).stdout, "proxy [web] already exists\n");
      assert(((ts.help as Observed).stdout as string).includes("--custom-domain strings"));
      assertEquals((ts.noCommand as Observed).stdout, "");
      assertEquals(ts.dashboard, ["carol.echo:online", "web:online"]);
      assertEquals(ts.plugin, [
        "CloseProxy carol.echo user=carol",
        "CloseProxy web user=",
        "NewProxy carol.echo user=carol",
        "NewProxy sshtunnel-tcp-X user=", // the refused one (port in use)
        "NewProxy web user=",
        "NewProxy web user=", // the duplicate
      ]);
    });
  },
});

/** authorizedKeysFile: only listed keys, the key's comment is the frp user. */
async function authorizedScenario(frps: Proc, sshPort: number, keys: Record<string, string>) {
  const out: Observed = {};
  await using echo = startTcpEcho();
  await withLogs([frps], async () => {
    const ssh = (key: string, command: string[], extra?: string[]) =>
      startSsh({ port: sshPort, key, forward: `:80:127.0.0.1:${echo.port}`, command, extra });
    out.refused = await endedRun(ssh(keys.bob, ["tcp", "-n", "b"]));
    await using alice = ssh(keys.alice, ["tcp", "-n", "a", "-u", "mallory"], [
      "-o",
      `UserKnownHostsFile=${keys.knownHosts}`,
      "-o",
      "StrictHostKeyChecking=accept-new",
      "-o",
      "HostKeyAlias=frps-ssh-gateway",
    ]);
    await alice.waitFor(/RemoteAddress: :(\d+)\n\n/);
    const port = Number(alice.stdout.match(/RemoteAddress: :(\d+)/)![1]);
    out.terminal = alice.stdout.replace(/RemoteAddress: :\d+/, "RemoteAddress: :P");
    const payload = randomBytes(1000);
    assertEquals(await tcpRoundTrip(port, payload), payload);
  });
  return out;
}

Deno.test({
  name:
    "ssh gateway: authorizedKeysFile enforced, comment is the user; host key reused (ts and Go)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "frp-ssh-auth-" });
    try {
      const keys = {
        alice: await makeSshKey(dir, "alice", "alice"),
        bob: await makeSshKey(dir, "bob", "bob"),
        knownHosts: `${dir}/known_hosts`,
      };
      await Deno.writeTextFile(
        `${dir}/authorized_keys`,
        await Deno.readTextFile(`${keys.alice}.pub`),
      );
      const hostKey = `${dir}/host_key`;
      const config = (impl: Impl) => {
        const [bind, ssh] = freePorts(2);
        return {
          ssh,
          impl,
          config: {
            bindPort: bind,
            sshTunnelGateway: {
              bindPort: ssh,
              autoGenPrivateKeyPath: hostKey,
              authorizedKeysFile: `${dir}/authorized_keys`,
            },
          },
        };
      };
      // ours first: it generates the host key; Go then reads the same file.
      const tsCfg = config("ts");
      await using ts = await startFrps(tsCfg);
      const pem = await Deno.readTextFile(hostKey);
      assert(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pem.slice(0, 40));
      assertEquals((await Deno.stat(hostKey)).mode! & 0o777, 0o600);
      const goCfg = IMPLS.includes("go") ? config("go") : undefined;
      await using go = goCfg ? await startFrps(goCfg) : undefined;
      const tsOut = await authorizedScenario(ts, tsCfg.ssh, keys);
      assertEquals(tsOut.refused, {
        stdout: "",
        stderr: "v0@127.0.0.1: Permission denied (publickey).\r\n",
        code: 255,
      });
      assertEquals(tsOut.terminal, success("alice", "a", "tcp", ":P"));
      // accept-new refuses a changed key: the known_hosts entry recorded from ours must match
      // Go's (reading our generated file) and a restarted ours
      if (go && goCfg) assertEquals(await authorizedScenario(go, goCfg.ssh, keys), tsOut);
      await ts.kill();
      const ts2Cfg = config("ts");
      await using ts2 = await startFrps(ts2Cfg);
      assertEquals(await Deno.readTextFile(hostKey), pem, "host key reused across restarts");
      assertEquals(await authorizedScenario(ts2, ts2Cfg.ssh, keys), tsOut);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** https, tcpmux and stcp proxies, and the token check a keyless gateway relies on. */
async function othersScenario(
  impl: Impl,
  dir: string,
  key: string,
  tls: { cert: string; key: string; ca: string },
): Promise<Observed> {
  const [bind, vhttps, mux, sshPort, visitorPort] = freePorts(5);
  await using echo = startTcpEcho();
  const greeter = startTlsGreeter(`greeter via ${impl}`, tls);
  await using frps = await startFrps({
    impl,
    config: {
      bindPort: bind,
      vhostHTTPSPort: vhttps,
      tcpmuxHTTPConnectPort: mux,
      auth: { token: "tok" },
      // an OpenSSH-format ed25519 key as the host key (the client's own, for brevity)
      sshTunnelGateway: { bindPort: sshPort, privateKeyFile: key },
    },
  });
  const out: Observed = {};
  // accept-new refuses a changed key: both frps must present the same one
  const pinned = [
    "-o",
    `UserKnownHostsFile=${dir}/known_hosts_pinned`,
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    "HostKeyAlias=frps-private-key-file",
  ];
  try {
    await withLogs([frps], async () => {
      const ssh = (command: string[], port = echo.port) =>
        startSsh({ port: sshPort, key, forward: `:80:127.0.0.1:${port}`, command, extra: pinned });
      // without authorizedKeysFile the virtual client's login needs frps's token
      out.noToken = await endedRun(ssh(["tcp"]));
      const mask = (s: string) => s.replace(/RemoteAddress: (.*):\d+\n/, "RemoteAddress: $1:P\n");

      await using https = ssh(
        ["https", "-d", "secure.example.com", "-n", "tls", "-t", "tok"],
        greeter.port,
      );
      await https.waitFor(/RemoteAddress: .*\n\n/);
      out.httpsTerminal = mask(https.stdout);
      out.httpsGreeting = (await tlsGreeting(vhttps, "secure.example.com", tls.ca))
        .replace(impl, "IMPL");

      await using tcpmux = ssh([
        "tcpmux",
        "--mux",
        "httpconnect",
        "--custom_domain",
        "mux.example.com",
        "-n",
        "mux",
        "--token",
        "tok",
      ]);
      await tcpmux.waitFor(/RemoteAddress: .*\n\n/);
      out.tcpmuxTerminal = mask(tcpmux.stdout);
      const c = await rawExchange(
        mux,
        "CONNECT mux.example.com:80 HTTP/1.1\r\nHost: mux.example.com:80\r\n\r\n",
        { keepOpen: true, until: (t) => t.includes("\r\n\r\n") },
      );
      out.connect = c.text;
      await c.conn!.write(new TextEncoder().encode("through tcpmux"));
      const buf = new Uint8Array(64);
      const n = await c.conn!.read(buf);
      out.tcpmuxEcho = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      c.conn!.close();

      await using stcp = ssh(["stcp", "--sk", "s3cret", "-n", "hidden", "-t", "tok"]);
      await stcp.waitFor(/RemoteAddress: .*\n\n/);
      out.stcpTerminal = stcp.stdout;
      // our frpc's visitor reaches it (against Go frps too: our frpc ↔ Go frps is supported)
      await using visitor = await startFrpc({
        impl: "ts",
        config: {
          serverAddr: "127.0.0.1",
          serverPort: bind,
          auth: { token: "tok" },
          visitors: [{
            name: "v",
            type: "stcp",
            serverName: "hidden",
            secretKey: "s3cret",
            bindAddr: "127.0.0.1",
            bindPort: visitorPort,
          }],
        },
      });
      await visitor.waitForLine(/start visitor success/, 10000);
      const payload = randomBytes(50_000);
      assertEquals(await tcpRoundTrip(visitorPort, payload), payload, "stcp visitor via ssh");
    });
  } finally {
    greeter.close();
  }
  return out;
}

Deno.test({
  name: "ssh gateway: https, tcpmux, stcp proxies and the token login (ts and Go frps)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tls = await selfSignedCert(["secure.example.com"]);
    const scenario = (impl: Impl, dir: string, key: string) => othersScenario(impl, dir, key, tls);
    await acrossImpls("frp-ssh-others-", scenario, (ts) => {
      assertEquals(
        (ts.noToken as Observed).stdout,
        "login to the server failed: token in login doesn't match token from configuration. " +
          "With loginFailExit enabled, no additional retries will be attempted\n",
      );
      assertEquals(ts.httpsTerminal, success("", "tls", "https", "secure.example.com:P"));
      assertEquals(ts.httpsGreeting, "greeter via IMPL");
      assertEquals(ts.tcpmuxTerminal, success("", "mux", "tcpmux", "mux.example.com:P"));
      assertEquals(ts.connect, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      assertEquals(ts.tcpmuxEcho, "through tcpmux");
      assertEquals(ts.stcpTerminal, success("", "hidden", "stcp", ""));
    });
  },
});

Deno.test({
  name: "ssh gateway: frps start fails with Go's message on a busy port or a missing key",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const busy = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const busyPort = (busy.addr as Deno.NetAddr).port;
    const dir = await Deno.makeTempDir({ prefix: "frp-ssh-fail-" });
    try {
      const cases = [
        [
          { bindPort: busyPort, autoGenPrivateKeyPath: `${dir}/host_key` },
          `listen tcp 0.0.0.0:${busyPort}: bind: address already in use`,
        ],
        [
          { bindPort: 1, privateKeyFile: "/nonexistent/ssh_host_key" },
          "open /nonexistent/ssh_host_key: no such file or directory",
        ],
      ] as const;
      const runs = IMPLS.flatMap((impl) =>
        cases.map(async ([gw, want]) => {
          const [bind, free] = freePorts(2);
          const sshTunnelGateway = { ...gw, bindPort: gw.bindPort === 1 ? free : gw.bindPort };
          const proc = await startFrps({
            impl,
            config: { bindPort: bind, sshTunnelGateway },
            waitFor: null,
          });
          const st = await proc.exited;
          await proc.kill();
          const last = proc.lines.filter((l) => l.trim() !== "").at(-1);
          assertEquals([impl, st.code, last], [impl, 1, `create ssh gateway error: ${want}`]);
        })
      );
      await Promise.all(runs);
    } finally {
      busy.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
