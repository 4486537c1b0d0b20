import { assert, assertEquals } from "../tests/_helpers/assert.ts";
import { ConfigError, loadServerConfig } from "./mod.ts";
import { INSPECTOR_DEFAULTS, resolveInspector } from "./inspector.ts";

async function load(toml: string) {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, toml);
    return await loadServerConfig(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("config: [inspector] decodes, defaults, validates, warns without the dashboard", async () => {
  const ok = await load(
    `webServer.port = 7500\n[inspector]\nenable = true\nproxies = ["web", "api.*"]\nmaxRequests = 5\n`,
  );
  assertEquals(resolveInspector(ok.config.inspector), {
    ...INSPECTOR_DEFAULTS,
    enable: true,
    proxies: ["web", "api.*"],
    maxRequests: 5,
  });
  assertEquals(ok.warnings, []);
  assertEquals(resolveInspector(undefined), INSPECTOR_DEFAULTS);

  const noDash = await load(`[inspector]\nenable = true\n`);
  assert(noDash.warnings.some((w) => w.includes("needs the dashboard")), noDash.warnings.join());

  let err = "";
  try {
    await load(`[inspector]\nmaxRequests = -1\n`);
  } catch (e) {
    assert(e instanceof ConfigError);
    err = e.message;
  }
  assert(err.includes("inspector.maxRequests must be between 0 and 100000"), err);
  try {
    await load(`[inspector]\nenabled = true\n`);
    err = "";
  } catch (e) {
    err = (e as Error).message;
  }
  assert(err.includes("unknown field"), `unknown key accepted: ${err}`);
});
