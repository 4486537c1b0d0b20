/**
 * frpc `transport.proxyURL` (wire-v1.md §13): our frpc reaches frps through an in-test HTTP
 * CONNECT proxy and a SOCKS5 proxy (both requiring credentials and counting their tunnels),
 * with TLS and tcpMux on top; wrong proxy credentials fail the login with a clear error. Go
 * frpc through the same HTTP proxy is the reference for the CONNECT request bytes.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasGoFrp, hasTsFrp, type Impl, startFrpc, startFrps } from "../_helpers/proc.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import {
  type ForwardProxy,
  startHttpConnectProxy,
  startSocks5Proxy,
} from "../_helpers/forward_proxies.ts";

const TOKEN = "proxy-url-token";
const AUTH = { user: "proxy user", pass: "p@ss:word" };
const enc = new TextEncoder();

async function throughProxy(
  impl: Impl,
  proxy: ForwardProxy,
  proxyURL: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const [bindPort, remotePort] = freePorts(2);
  await using frps = await startFrps({
    impl: "ts",
    config: {
      bindAddr: "127.0.0.1",
      bindPort,
      auth: { token: TOKEN },
      // tcpMux must match on both sides
      transport: { tcpMux: extra.tcpMux ?? true },
    },
  });
  await using echo = startTcpEcho();
  await using frpc = await startFrpc({
    impl,
    config: {
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      auth: { token: TOKEN },
      transport: { proxyURL, ...extra },
      proxies: [{ name: "echo", type: "tcp", localPort: echo.port, remotePort }],
    },
  });
  try {
    await frpc.waitForLine(/\[echo\] start proxy success/, 15000);
    const data = enc.encode("through the forward proxy");
    assertEquals(await tcpRoundTrip(remotePort, data), data);
    assert(proxy.tunnels >= 1, `proxy tunnels: ${proxy.tunnels}`);
  } catch (err) {
    console.error(frps.output() + "\n" + frpc.output());
    throw err;
  }
}

async function loginFails(proxyURL: string, expect: RegExp): Promise<void> {
  const [bindPort] = freePorts(1);
  await using frps = await startFrps({
    impl: "ts",
    config: { bindAddr: "127.0.0.1", bindPort, auth: { token: TOKEN } },
  });
  await using frpc = await startFrpc({
    impl: "ts",
    waitFor: null,
    config: {
      serverAddr: "127.0.0.1",
      serverPort: bindPort,
      auth: { token: TOKEN },
      loginFailExit: true,
      transport: { proxyURL },
    },
  });
  const st = await frpc.waitExit(20000);
  assert(!st.success, "frpc should exit with an error");
  assert(expect.test(frpc.output()), `missing ${expect} in:\n${frpc.output()}`);
  assertEquals(frps.output().includes("client login info"), false);
}

const url = (scheme: string, port: number, auth = AUTH) =>
  `${scheme}://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@127.0.0.1:${port}`;

Deno.test({
  name: "proxyURL: http CONNECT with Basic auth (tls + tcpMux through the tunnel)",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using proxy = startHttpConnectProxy(AUTH);
    await throughProxy("ts", proxy, url("http", proxy.port));
    assertEquals(proxy.authFailures, 0);
    const head = proxy.seen[0];
    const m = /^CONNECT (127\.0\.0\.1:\d+) HTTP\/1\.1\r\n/.exec(head);
    assert(m, head);
    assertEquals(
      head,
      `CONNECT ${m[1]} HTTP/1.1\r\nHost: ${m[1]}\r\nUser-Agent: Mozilla/5.0\r\n` +
        `Proxy-Authorization: Basic ${btoa(`${AUTH.user}:${AUTH.pass}`)}`,
    );
  },
});

Deno.test({
  name: "proxyURL: Go frpc sends the same CONNECT request (reference)",
  ignore: !hasTsFrp() || !hasGoFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using proxy = startHttpConnectProxy(AUTH);
    await throughProxy("go", proxy, url("http", proxy.port));
    const head = proxy.seen[0];
    const m = /^CONNECT (127\.0\.0\.1:\d+) HTTP\/1\.1\r\n/.exec(head);
    assert(m, head);
    assertEquals(
      head,
      `CONNECT ${m[1]} HTTP/1.1\r\nHost: ${m[1]}\r\nUser-Agent: Mozilla/5.0\r\n` +
        `Proxy-Authorization: Basic ${btoa(`${AUTH.user}:${AUTH.pass}`)}`,
    );
  },
});

Deno.test({
  name: "proxyURL: socks5 with username/password, and without tcpMux",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using proxy = startSocks5Proxy(AUTH);
    await throughProxy("ts", proxy, url("socks5", proxy.port), { tcpMux: false });
    assertEquals(proxy.authFailures, 0);
    // without tcpMux every work conn is its own tunnel: login + at least one work conn
    assert(proxy.tunnels >= 2, `tunnels: ${proxy.tunnels}`);
    assert(/^127\.0\.0\.1:\d+$/.test(proxy.seen[0]), proxy.seen[0]);
  },
});

Deno.test({
  name: "proxyURL: socks5 without credentials, plain tcp (tls off)",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using proxy = startSocks5Proxy();
    await throughProxy("ts", proxy, `socks5://127.0.0.1:${proxy.port}`, { tls: { enable: false } });
  },
});

Deno.test({
  name: "proxyURL: wrong proxy password fails login with a clear error",
  ignore: !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using http = startHttpConnectProxy(AUTH);
    await loginFails(
      url("http", http.port, { user: AUTH.user, pass: "wrong" }),
      /DialTcpByHttpProxy error, StatusCode \[407\]/,
    );
    assertEquals(http.authFailures >= 1, true);
    assertEquals(http.tunnels, 0);
    await using socks = startSocks5Proxy(AUTH);
    await loginFails(
      url("socks5", socks.port, { user: AUTH.user, pass: "wrong" }),
      /username\/password authentication failed/,
    );
    assertEquals(socks.tunnels, 0);
  },
});
