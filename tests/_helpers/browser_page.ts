/**
 * The browser-side half of the browser tests (`tests/e2e/_test_*_browser.ts`, run with -A):
 * chromium through playwright-core with basic-auth credentials, every request to a host other
 * than 127.0.0.1 aborted and reported, page errors collected, and `ok <step>` reporting.
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { assertEquals } from "./assert.ts";

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

/** Runs one named step; prints `ok <name>` or throws with the step's name. */
export async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    throw new Error(`step "${name}": ${e instanceof Error ? e.stack ?? e.message : e}`);
  }
  console.log(`ok ${name}`);
}

/**
 * Opens chromium, runs `fn` on its page, closes it, and fails when the browser contacted another
 * host or the page logged errors.
 */
export async function withBrowser(
  opts: { chromium: string; user: string; password: string },
  fn: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "frp-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    args: BROWSER_ARGS,
    viewport: { width: 1280, height: 860 },
    httpCredentials: { username: opts.user, password: opts.password },
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
    await fn(page, context);
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
  assertEquals(outside, [], "the browser contacted hosts other than 127.0.0.1");
  assertEquals(problems, [], "page errors");
}

/** The script's entry: parses the JSON argument, runs `main`, exits 1 with the error. */
export async function browserMain<A>(main: (a: A) => Promise<void>): Promise<void> {
  try {
    await main(JSON.parse(Deno.args[0]) as A);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
}
