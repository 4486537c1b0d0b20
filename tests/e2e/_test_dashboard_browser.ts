/**
 * The browser half of dashboard_test.ts, run by it as `deno run -A` (playwright-core reads
 * /proc files Deno grants only with --allow-all). Argument: JSON {dash, admin, user, password,
 * chromium, shots, xssName, sshRemotePort, frpcConfig}. Prints `ok <step>` per passed step;
 * exits 1 with the error on the first failure.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { browserMain, step, withBrowser } from "../_helpers/browser_page.ts";

interface Args {
  dash: string;
  admin: string;
  user: string;
  password: string;
  chromium: string;
  shots: string;
  xssName: string;
  sshRemotePort: number;
  frpcConfig: string;
}

function main(a: Args): Promise<void> {
  const auth = () => ({ authorization: "Basic " + btoa(`${a.user}:${a.password}`) });
  return withBrowser(a, async (page) => {
    page.on("dialog", (d) => d.accept());
    const shot = (name: string) =>
      page.screenshot({ path: `${a.shots}/${name}.png`, fullPage: true });

    await step("GET / redirects to the overview", async () => {
      await page.goto(`${a.dash}/`);
      assert(new URL(page.url()).pathname === "/static/", page.url());
      await page.locator("#st-clients .value").filter({ hasText: /^1$/ }).waitFor();
      assertEquals(await page.locator("#st-proxies .value").textContent(), "4");
      assertEquals(await page.locator("#st-proxies .note").textContent(), "1 offline");
      assert(/^v\d/.test(await page.locator("#version").textContent() ?? ""), "version");
      const uptime = await page.locator("#st-uptime .value").textContent();
      assert(/^\d+(s| min)/.test(uptime ?? ""), `uptime: ${uptime}`);
      // today's traffic in the totals (150 kB round trip + http)
      const tin = await page.locator("#st-in .value").textContent();
      assert(/KiB|MiB/.test(tin ?? ""), `traffic in: ${tin}`);
      await page.getByText("Top proxies today").waitFor();
      await shot("01-overview");
    });

    await step("proxies table lists names, types, remote and status", async () => {
      await page.locator('nav a[data-nav="proxies"]').click();
      const rows = page.locator("#proxy-table tbody tr");
      await rows.filter({ hasText: "demo.ssh" }).waitFor();
      const text = await page.locator("#proxy-table").innerText();
      for (const n of ["demo.ssh", "demo.db", "demo.web", "old-tcp", "demo." + a.xssName]) {
        assert(text.includes(n), `${n} missing in:\n${text}`);
      }
      const ssh = rows.filter({ hasText: "demo.ssh" });
      assert((await ssh.innerText()).includes("online"), await ssh.innerText());
      assert((await ssh.innerText()).toLowerCase().includes("tcp"), "type column");
      assert((await ssh.innerText()).includes(`:${a.sshRemotePort}`), "remote port");
      const old = rows.filter({ hasText: "old-tcp" });
      assert((await old.innerText()).includes("offline"), await old.innerText());
      // XSS: the payload is text, no <img> was created and its handler never ran.
      assertEquals(await page.locator("#proxy-table img").count(), 0);
      assertEquals(await page.evaluate("window.__xss"), undefined);
      await shot("02-proxies");
      // per-type tab
      await page.locator('#type-tabs a[data-type="http"]').click();
      await page.waitForURL(/#\/proxies\/http$/);
      // The hashchange handler swaps in a fresh, empty view and fills it after a fetch: wait for
      // the new view's active tab, which is drawn together with its rows.
      await page.locator('#type-tabs a.active[data-type="http"]').waitFor();
      await rows.filter({ hasText: "demo.web" }).waitFor();
      assertEquals(await rows.count(), 1);
      const web = await rows.first().innerText();
      assert(web.includes("app.web.test") && web.includes("blog.example.test"), web);
    });

    await step("a proxy's page shows its 7-day traffic chart", async () => {
      await page.locator('nav a[data-nav="proxies"]').click();
      await page.locator("a.proxy-link", { hasText: "demo.ssh" }).click();
      await page.waitForURL(/#\/proxy\/demo\.ssh$/);
      const bars = page.locator("#traffic-chart svg rect.bar-in");
      await bars.nth(6).waitFor();
      assertEquals(await bars.count(), 7);
      assertEquals(await page.locator("#traffic-chart svg rect.bar-out").count(), 7);
      const today = Number(await bars.nth(6).getAttribute("height"));
      assert(today > 10, `today's bar height ${today}`);
      assertEquals(Number(await bars.nth(0).getAttribute("height")), 0);
      const details = await page.locator("main").innerText();
      assert(details.includes("<b>ops</b>"), "metadata shown as text");
      assert(details.includes("Encryption") && details.includes("yes"), details);
      assertEquals(await page.locator("main b").count(), 0);
      await shot("03-proxy-detail");
    });

    await step("the XSS proxy's page renders the name as text", async () => {
      await page.goto(`${a.dash}/static/#/proxy/${encodeURIComponent("demo." + a.xssName)}`);
      await page.locator("#traffic-chart svg").waitFor();
      assertEquals(await page.locator("#proxy-name").textContent(), "demo." + a.xssName);
      assertEquals(await page.locator("main img").count(), 0);
      assertEquals(await page.evaluate("window.__xss"), undefined);
    });

    await step("clients list online and offline clients", async () => {
      await page.locator('nav a[data-nav="clients"]').click();
      const rows = page.locator("#client-table tbody tr");
      await rows.filter({ hasText: "demo.laptop" }).waitFor();
      assertEquals(await rows.count(), 2);
      const laptop = await rows.filter({ hasText: "demo.laptop" }).innerText();
      assert(laptop.includes("online") && laptop.includes("0.70.1"), laptop);
      const edgeRow = await rows.filter({ hasText: "edge-2" }).innerText();
      assert(edgeRow.includes("offline") && edgeRow.includes("disconnected"), edgeRow);
      await shot("04-clients");
    });

    await step("clear offline proxies", async () => {
      await page.locator('nav a[data-nav="proxies"]').click();
      const rows = page.locator("#proxy-table tbody tr");
      await rows.filter({ hasText: "old-tcp" }).waitFor();
      await page.locator("#clear-offline").click();
      await rows.filter({ hasText: "old-tcp" }).waitFor({ state: "detached" });
      assertEquals(await rows.count(), 4);
      const r = await (await fetch(`${a.dash}/api/proxy/tcp`, { headers: auth() })).json();
      assertEquals(r.proxies.length, 3);
    });

    await step("dark mode and phone width", async () => {
      await page.emulateMedia({ colorScheme: "dark" });
      await page.locator('nav a[data-nav="overview"]').click();
      await page.locator("#st-clients .value").filter({ hasText: /^1$/ }).waitFor();
      const bg = await page.evaluate("getComputedStyle(document.body).backgroundColor");
      assert(bg !== "rgb(245, 246, 248)", `dark background expected, got ${bg}`);
      await shot("05-overview-dark");
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('nav a[data-nav="proxies"]').click();
      await page.locator("#proxy-table tbody tr").first().waitFor();
      const overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      );
      assertEquals(overflow, 0, "page scrolls sideways at phone width");
      await shot("06-proxies-phone-dark");
      await page.emulateMedia({ colorScheme: "light" });
      await page.locator('nav a[data-nav="overview"]').click();
      await page.locator("#st-clients .value").filter({ hasText: /^1$/ }).waitFor();
      await shot("07-overview-phone");
      await page.locator("#st-proxies").waitFor();
      await page.goto(`${a.dash}/static/#/proxy/demo.ssh`);
      await page.locator("#traffic-chart svg rect.bar-in").nth(6).waitFor();
      assertEquals(
        await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        ),
        0,
        "proxy page scrolls sideways at phone width",
      );
      await shot("07b-proxy-phone");
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    await step("frpc admin page: statuses and config editor", async () => {
      await page.goto(`${a.admin}/`);
      assertEquals(new URL(page.url()).pathname, "/static/");
      const rows = page.locator("#status-table tbody tr");
      await rows.filter({ hasText: "running" }).first().waitFor();
      const ssh = await rows.filter({ hasText: /^ssh/ }).innerText();
      assert(ssh.includes("running") && ssh.includes(`127.0.0.1:${a.sshRemotePort}`), ssh);
      const text = await page.locator("#status-table").innerText();
      assert(text.includes(a.xssName) && text.includes("web"), text);
      assertEquals(await page.locator("#status-table img").count(), 0);
      assertEquals(await page.locator("#st-running .value").textContent(), "4");
      await rows.filter({ hasText: /^ssh/ }).click();
      await page.locator("pre.json", { hasText: '"remotePort"' }).waitFor();
      await shot("08-frpc-status");

      await page.locator('nav a[data-nav="config"]').click();
      const editor = page.locator("#config-editor");
      // (no waitForFunction: its string predicates need eval, which our CSP forbids)
      for (let i = 0; !(await editor.inputValue()).includes("serverPort"); i++) {
        assert(i < 100, "config text never loaded");
        await new Promise((r) => setTimeout(r, 100));
      }
      const original = await editor.inputValue();
      await editor.fill(original.replace(/\n*$/, "\n") + "# edited in the dashboard\n");
      await page.locator("#config-apply").click();
      await page.locator("#config-msg", { hasText: "Saved and reloaded." }).waitFor();
      await shot("09-frpc-config");
    });
  });
}

if (import.meta.main) await browserMain(main);
