/**
 * The package as JSR users get it: `deno publish --dry-run` passes, `deno doc --lint mod.ts`
 * finds no undocumented symbol, and mod.ts run as the main module is frpc's command line
 * (`deno run jsr:@frp/client -c frpc.toml`).
 */
import { assert, assertEquals } from "./_helpers/assert.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "../cli/permissions.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function deno(args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("library: deno publish --dry-run is clean", async () => {
  const r = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assertEquals(r.code, 0, r.text);
  assert(!/warning/i.test(r.text), r.text);
});

Deno.test("library: deno doc --lint is clean for mod.ts and the CLI entries", async () => {
  const r = await deno(["doc", "--lint", "mod.ts", "./server/main.ts", "./client/main.ts"]);
  assertEquals(r.code, 0, r.text);
});

Deno.test("library: mod.ts as main module is frpc's CLI; ./frps entry is frps's", async () => {
  const c = await deno(["run", ...FRPC_FLAGS, "mod.ts", "-v"]);
  assertEquals(c.text.split("\n")[0], "0.70.1", c.text);
  const help = await deno(["run", ...FRPC_FLAGS, "mod.ts", "--help"]);
  assert(help.text.startsWith("frpc is the client of frp"), help.text);
  const s = await deno(["run", ...FRPS_FLAGS, "server/main.ts", "--help"]);
  assert(s.text.startsWith("frps is the server of frp"), s.text);
  const exports = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).exports;
  assertEquals(exports, {
    ".": "./mod.ts",
    "./frps": "./server/main.ts",
    "./frpc": "./client/main.ts",
  });
});
