/**
 * The web dashboards, driven in a real browser (Debian's chromium through playwright-core): our
 * frps with `webServer` (basic auth) and two of our frpc (one stops, leaving an offline proxy
 * and client), bytes pushed through a tcp and an http proxy, then the frps dashboard (overview,
 * proxies per type, a proxy's 7-day SVG chart, clients, "clear offline", an XSS proxy name,
 * dark mode, phone width) and frpc's admin page (statuses, config editor with save & reload).
 *
 * Screenshots go to `$FRP_SCREENSHOT_DIR` or a fresh temp dir (printed). Only 127.0.0.1 is
 * contacted: every other request of the browser is aborted and fails the test. Skipped when
 * chromium is not installed (`apt-get install chromium`; `.ci/run` installs it).
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasTsFrp, startFrpc, startFrps, withLogs } from "../_helpers/proc.ts";
import { CHROMIUM, hasChromium, runBrowserScript, screenshotDir } from "../_helpers/browser.ts";
import {
  randomBytes,
  startHttpHello,
  startTcpEcho,
  tcpRoundTrip,
  withTimeout,
} from "../_helpers/services.ts";

const chromiumOk = hasChromium("dashboard_test");

const TOKEN = "dash-token";
const USER = "admin";
const PASSWORD = "s3cret";
/** A proxy name that is also an XSS payload: must show as text and never run. */
const XSS_NAME = `<img src=x onerror=window.__xss=1>`;

async function rawHttpGet(port: number, host: string, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await withTimeout(conn.read(buf), 10000, `GET ${host}${path}`);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "dashboard: frps and frpc web UIs in a browser",
  ignore: !chromiumOk || !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const shots = await screenshotDir("dashboard");
    const [bind, web, admin, vhost, r1, r2, r3, r4] = freePorts(8);
    await using echo = startTcpEcho();
    await using hello = startHttpHello();
    await using frps = await startFrps({
      impl: "ts",
      config: {
        bindAddr: "127.0.0.1",
        bindPort: bind,
        proxyBindAddr: "127.0.0.1",
        vhostHTTPPort: vhost,
        subDomainHost: "example.test",
        auth: { token: TOKEN },
        webServer: { addr: "127.0.0.1", port: web, user: USER, password: PASSWORD },
      },
    });
    const common = { serverAddr: "127.0.0.1", serverPort: bind, auth: { token: TOKEN } };
    await using frpc = await startFrpc({
      impl: "ts",
      config: {
        ...common,
        user: "demo",
        clientID: "laptop",
        webServer: { addr: "127.0.0.1", port: admin, user: USER, password: PASSWORD },
        proxies: [
          {
            name: "ssh",
            type: "tcp",
            localPort: echo.port,
            remotePort: r1,
            transport: { useEncryption: true },
            metadatas: { owner: "<b>ops</b>", env: "prod" },
          },
          { name: "db", type: "tcp", localPort: echo.port, remotePort: r2 },
          {
            name: "web",
            type: "http",
            localPort: hello.port,
            customDomains: ["app.web.test"],
            subdomain: "blog",
          },
          { name: XSS_NAME, type: "tcp", localPort: echo.port, remotePort: r3 },
        ],
      },
    });
    const edge = await startFrpc({
      impl: "ts",
      label: "ts frpc edge",
      config: {
        ...common,
        clientID: "edge-2",
        proxies: [{ name: "old-tcp", type: "tcp", localPort: echo.port, remotePort: r4 }],
      },
    });
    await using _edge = edge;
    const auth = { authorization: "Basic " + btoa(`${USER}:${PASSWORD}`) };
    const dash = `http://127.0.0.1:${web}`;

    await withLogs([frps, frpc, edge], async () => {
      // Wait for all five proxies, push bytes through ssh (tcp) and web (http).
      const deadline = Date.now() + 20000;
      for (;;) {
        const info = await (await fetch(`${dash}/api/serverinfo`, { headers: auth })).json();
        const n = Object.values(info.proxyTypeCount as Record<string, number>)
          .reduce((a, b) => a + b, 0);
        if (n === 5) break;
        assert(Date.now() < deadline, `5 proxies expected, serverinfo: ${JSON.stringify(info)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const payload = randomBytes(150_000);
      assertEquals((await tcpRoundTrip(r1, payload)).length, payload.length);
      assertEquals((await tcpRoundTrip(r2, payload.subarray(0, 20_000))).length, 20_000);
      for (let i = 0; i < 3; i++) {
        const res = await rawHttpGet(vhost, "app.web.test", "/");
        assert(res.startsWith("HTTP/1.1 200") && res.endsWith("hello"), res);
      }
      // The edge client leaves: its proxy and client stay listed, offline.
      await edge.kill();

      // playwright-core reads /proc files that Deno grants only with --allow-all: the browser
      // part runs in a child process (tests/e2e/_test_dashboard_browser.ts).
      const args = {
        dash,
        admin: `http://127.0.0.1:${admin}`,
        user: USER,
        password: PASSWORD,
        chromium: CHROMIUM,
        shots,
        xssName: XSS_NAME,
        sshRemotePort: r1,
        frpcConfig: frpc.configPath,
      };
      await runBrowserScript(
        new URL("./_test_dashboard_browser.ts", import.meta.url),
        args,
        120_000,
      );
      // the editor's "Save & reload" reached frpc
      await frpc.waitForLine(/success reload conf/, 10000);
      assert(
        (await Deno.readTextFile(frpc.configPath)).endsWith("# edited in the dashboard\n"),
        "config file written by the dashboard",
      );
    });
  },
});
