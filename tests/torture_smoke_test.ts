/**
 * Runs `deno task torture --quick` exactly as deno.json ships it (same permission flags, no
 * -A) and checks it exits 0 with every section's table: the fuzz targets without findings,
 * SHA-256-equal integrity, recovered chaos cycles, rejected attacks (main.ts turns each of
 * those into a non-zero exit in quick mode). No timing is asserted.
 */
import { assert, assertEquals } from "./_helpers/assert.ts";
import { hasTsFrp, REPO_ROOT } from "./_helpers/proc.ts";

Deno.test({
  name: "torture --quick: fuzz, integrity, chaos and abuse rows pass under the shipped flags",
  ignore: !hasTsFrp(),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const task: string = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)).tasks.torture;
  const [deno, ...args] = task.split(/\s+/);
  assertEquals(deno, "deno");
  assert(!args.includes("-A") && !args.includes("--allow-all"), "the torture task must not use -A");
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, "--quick"],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
  const res = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  const out = dec.decode(res.stdout);
  assertEquals(res.code, 0, `torture --quick failed:\n${out}\n${dec.decode(res.stderr)}`);
  for (const h of ["## Fuzz", "## Integrity", "## Chaos", "## Abuse", "ok in"]) {
    assert(out.includes(h), `output lacks "${h}":\n${out}`);
  }
  // The credential rows ran (main.ts checks their texts and log counts against Go's).
  for (
    const a of [
      "replayed Login",
      "wrong sk for an stcp visitor",
      "wrong sk for an xtcp visitor",
      "wrong groupKey",
    ]
  ) {
    assert(out.includes(`| ${a}`), `abuse table lacks "${a}":\n${out}`);
  }
  // Every fuzz target ran: one table row each with zero findings.
  const fuzzRows = out.split("## Integrity")[0].split("\n").filter((l) =>
    /^\| [A-Za-z].* \| \d+ \|/.test(l)
  );
  assert(fuzzRows.length >= 19, `expected ≥ 19 fuzz rows, got ${fuzzRows.length}`);
  for (const r of fuzzRows) {
    const cells = r.split("|").map((c) => c.trim());
    assertEquals(cells.slice(5, 10), ["0", "0", "0", "0", "0"], `fuzz findings in ${r}`);
  }
});
