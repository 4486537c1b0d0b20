/**
 * The browser half of inspector_dashboard_test.ts, run by it as `deno run -A` (playwright-core
 * reads /proc files Deno grants only with --allow-all). Argument: JSON {dash, user, password,
 * chromium, shots}. Prints `ok <step>` per passed step; exits 1 on the first failure.
 */
import { chromium } from "playwright-core";
import { assert, assertEquals } from "../_helpers/assert.ts";

interface Args {
  dash: string;
  user: string;
  password: string;
  chromium: string;
  shots: string;
}

const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    throw new Error(`step "${name}": ${e instanceof Error ? e.stack ?? e.message : e}`);
  }
  console.log(`ok ${name}`);
}

async function main(a: Args): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "frp-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: a.chromium,
    headless: true,
    args: BROWSER_ARGS,
    viewport: { width: 1280, height: 860 },
    httpCredentials: { username: a.user, password: a.password },
    colorScheme: "light",
  });
  const outside: string[] = [];
  await context.route(/.*/, (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.hostname === "127.0.0.1") return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  const problems: string[] = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
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

    await step("capture can be switched off from the page", async () => {
      await page.locator("#insp-toggle").uncheck();
      await page.locator("#insp-toggle:not(:checked)").waitFor();
      const r = await fetch(`${a.dash}/api/inspect`, {
        headers: { authorization: "Basic " + btoa(`${a.user}:${a.password}`) },
      });
      const j = await r.json();
      assertEquals(j.proxies[0].enabled, false);
    });
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
  assertEquals(outside, [], "the browser contacted hosts other than 127.0.0.1");
  assertEquals(problems, [], "page errors");
}

if (import.meta.main) {
  try {
    await main(JSON.parse(Deno.args[0]) as Args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
}
