/**
 * The browser half of inspector_dashboard_test.ts, run by it as `deno run -A` (playwright-core
 * reads /proc files Deno grants only with --allow-all). Argument: JSON {dash, user, password,
 * chromium, shots}. Prints `ok <step>` per passed step; exits 1 on the first failure.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { browserMain, step, withBrowser } from "../_helpers/browser_page.ts";

interface Args {
  dash: string;
  user: string;
  password: string;
  chromium: string;
  shots: string;
}

function main(a: Args): Promise<void> {
  return withBrowser(a, async (page) => {
    const shot = (name: string) =>
      page.screenshot({ path: `${a.shots}/${name}.png`, fullPage: true });

    await step("the inspector tab lists the captured proxy", async () => {
      await page.goto(`${a.dash}/static/#/proxies`);
      await page.locator('nav a[data-nav="inspect"]').click();
      await page.waitForURL(/#\/inspect$/);
      const row = page.locator("#insp-proxies tbody tr", { hasText: "web" });
      await row.waitFor();
      assert((await row.innerText()).includes("on"), await row.innerText());
    });

    const rows = page.locator("#insp-table tbody tr");
    await step("the proxy's page shows the request, secrets masked", async () => {
      await page.locator("a.insp-link", { hasText: "web" }).click();
      await page.waitForURL(/#\/inspect\/web$/);
      // The hashchange handler swaps in a fresh view and fills it after a fetch: wait for a row.
      await rows.filter({ hasText: "/hello?from=test" }).waitFor();
      assertEquals(await rows.count(), 1);
      const row = await rows.first().innerText();
      assert(row.includes("GET") && row.includes("200"), row);
      assertEquals(await page.locator("#insp-toggle").isChecked(), true);
      // The newest request is selected and its detail shown.
      await page.locator("#insp-detail-line", { hasText: "GET /hello?from=test" }).waitFor();
      const detail = await page.locator("#insp-detail").innerText();
      assert(detail.includes("***"), detail);
      assert(!detail.includes("ui-secret"), "authorization value shown");
      assert(detail.includes("hello #1"), `response body preview in:\n${detail}`);
      await shot("inspector-01-request");
    });

    await step("replay adds a new request to the list", async () => {
      await page.locator("#insp-replay").click();
      await rows.filter({ hasText: "replay" }).waitFor();
      assertEquals(await rows.count(), 2);
      // The replayed exchange is selected: its response came from a second hit.
      await page.locator("#insp-detail", { hasText: "hello #2" }).waitFor();
      assert((await page.locator("#insp-detail").innerText()).includes("Replay of"), "replayOf");
      assert((await rows.first().innerText()).includes("replay"), "newest first");
      await shot("inspector-02-replayed");
    });

    await step("the inspector fits a phone screen", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await rows.first().waitFor();
      assertEquals(
        await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        ),
        0,
        "inspector page scrolls sideways at phone width",
      );
      await shot("inspector-03-phone");
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    await step("capture can be switched off from the page", async () => {
      await page.locator("#insp-toggle").uncheck();
      // The switch flips at once; the PUT is done when the banner says so.
      await page.locator("#banner", { hasText: "Capture disabled for web." }).waitFor();
      const r = await fetch(`${a.dash}/api/inspect`, {
        headers: { authorization: "Basic " + btoa(`${a.user}:${a.password}`) },
      });
      const j = await r.json();
      assertEquals(j.proxies[0].enabled, false);
    });
  });
}

if (import.meta.main) await browserMain(main);
