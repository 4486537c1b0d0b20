/**
 * The request inspector in the frps dashboard, driven in a real browser (Debian's chromium
 * through playwright-core, like dashboard_test.ts): our frps with `[inspector]`, our frpc with
 * an http proxy, one request sent through it; the browser opens the inspector, sees the request
 * (secrets masked), clicks Replay and sees the new entry; the local service was hit twice.
 * Skipped when chromium is not installed (`.ci/run` installs it).
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { freePorts } from "../_helpers/ports.ts";
import { hasTsFrp } from "../_helpers/proc.ts";
import { startFrp, withFrpLogs } from "../_helpers/vhost.ts";
import { CHROMIUM, hasChromium, runBrowserScript, screenshotDir } from "../_helpers/browser.ts";

const chromiumOk = hasChromium("inspector_dashboard_test");

const USER = "admin";
const PASSWORD = "insp-ui";

Deno.test({
  name: "inspector dashboard: list, detail, replay in a browser",
  ignore: !chromiumOk || !hasTsFrp(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const shots = await screenshotDir("inspector");
    let hits = 0;
    const backend = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      hits++;
      return new Response(`hello #${hits}`, { headers: { "content-type": "text/plain" } });
    });
    try {
      const [vport, web] = freePorts(2);
      await using frp = await startFrp({
        pair: { server: "ts", client: "ts" },
        server: {
          vhostHTTPPort: vport,
          webServer: { addr: "127.0.0.1", port: web, user: USER, password: PASSWORD },
          inspector: { enable: true, proxies: ["web"] },
        },
        proxies: [{
          name: "web",
          type: "http",
          localPort: backend.addr.port,
          customDomains: ["127.0.0.1"],
        }],
      });
      await withFrpLogs(frp, async () => {
        const res = await fetch(`http://127.0.0.1:${vport}/hello?from=test`, {
          headers: { authorization: "Bearer ui-secret" },
        });
        assertEquals(await res.text(), "hello #1");
        const args = {
          dash: `http://127.0.0.1:${web}`,
          user: USER,
          password: PASSWORD,
          chromium: CHROMIUM,
          shots,
        };
        await runBrowserScript(
          new URL("./_test_inspector_browser.ts", import.meta.url),
          args,
          90_000,
        );
        // The replay reached the local service.
        assertEquals(hits, 2);
        assert(frp.frps.output().includes("/api/inspect/web/requests/1/replay"), "replay call");
      });
    } finally {
      await backend.shutdown();
    }
  },
});
