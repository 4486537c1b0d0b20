/**
 * The test-side half of the browser tests (dashboard_test.ts, inspector_dashboard_test.ts):
 * where chromium is, and running a `_test_*_browser.ts` script in a child `deno run -A`
 * (playwright-core reads /proc files Deno grants only with --allow-all).
 */
import { assertEquals } from "./assert.ts";

/** Debian's chromium, or `$FRP_CHROMIUM`. */
export const CHROMIUM: string = Deno.env.get("FRP_CHROMIUM") ?? "/usr/bin/chromium";

/** Whether {@link CHROMIUM} exists; warns once per test file when it does not. */
export function hasChromium(test: string): boolean {
  try {
    if (Deno.statSync(CHROMIUM).isFile) return true;
  } catch { /* missing */ }
  console.warn(
    `${test}: skipped — no chromium at ${CHROMIUM} (apt-get install chromium, or set FRP_CHROMIUM)`,
  );
  return false;
}

/** A screenshot directory: `$FRP_SCREENSHOT_DIR` or a fresh temp dir (printed). */
export async function screenshotDir(prefix: string): Promise<string> {
  const shots = Deno.env.get("FRP_SCREENSHOT_DIR") ??
    await Deno.makeTempDir({ prefix: `frp-${prefix}-shots-` });
  await Deno.mkdir(shots, { recursive: true });
  console.log(`${prefix} screenshots: ${shots}`);
  return shots;
}

/**
 * Runs `script` with `args` (as one JSON argument) in `deno run -A`, killed after `timeoutMs`;
 * echoes its `ok <step>` lines and fails with its whole output when it exits non-zero.
 */
export async function runBrowserScript(
  script: URL,
  args: unknown,
  timeoutMs: number,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script.pathname, JSON.stringify(args)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  for (const line of text.split("\n")) if (line.startsWith("ok ")) console.log(line);
  assertEquals(out.code, 0, `browser checks failed:\n${text}`);
}
