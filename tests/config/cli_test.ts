// CLI-level checks on the real entrypoints: output lines and exit codes, never a stack trace.
import { FRPC_FLAGS, FRPS_FLAGS } from "../_helpers/permissions.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIX = `${ROOT}tests/fixtures/config/`;

/** Runs `frps|frpc verify [-c file] [flags…]` (file = first non-flag argument). */
async function run(args: string[], cwd = ROOT) {
  const [bin, ...rest] = args;
  const file = rest.find((a) =>
    !a.startsWith("--") && rest[rest.indexOf(a) - 1] !== "--allow-unsafe"
  );
  const flags = rest.filter((a) => a !== file);
  return await exec(
    bin as "frps" | "frpc",
    ["verify", ...(file ? ["-c", file] : []), ...flags],
    cwd,
  );
}

async function exec(bin: "frps" | "frpc", args: string[], cwd = ROOT) {
  const main = bin === "frps" ? "server/main.ts" : "client/main.ts";
  const perms = bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...perms, `${ROOT}${main}`, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

Deno.test("cli verify: success line and exit 0", async () => {
  const r = await run(["frpc", "./frpc_L91.toml"], `${FIX}seed`);
  assert(r.code === 0, r.stdout + r.stderr);
  assert(r.stdout === "frpc: the configuration file ./frpc_L91.toml syntax is ok\n", r.stdout);
  const s = await run(["frps", "./frps_L126.toml"], `${FIX}seed`);
  assert(s.stdout === "frps: the configuration file ./frps_L126.toml syntax is ok\n", s.stdout);
});

Deno.test("cli verify: not specified ⇒ exit 0", async () => {
  const r = await run(["frps"]);
  assert(r.code === 0 && r.stdout === "frps: the configuration file is not specified\n", r.stdout);
});

Deno.test("cli verify: every bad fixture ⇒ exit 1, clear message, no stack trace", async () => {
  for (const e of Deno.readDirSync(`${FIX}bad`)) {
    const bin = /^(unknown\.|wrongtype|port|syntax)/.test(e.name) ? "frps" : "frpc";
    const r = await run([bin, `${FIX}bad/${e.name}`]);
    assert(r.code === 1, `${e.name}: exit ${r.code}`);
    assert(r.stdout.trim().length > 0, `${e.name}: no message`);
    assert(
      !/\n\s+at /.test(r.stdout + r.stderr),
      `${e.name}: stack trace:\n${r.stdout}${r.stderr}`,
    );
  }
});

Deno.test("cli verify: --strict_config=false relaxes unknown fields", async () => {
  const r = await run(["frps", `${FIX}bad/unknown.toml`, "--strict_config=false"]);
  assert(r.code === 0, r.stdout);
});

Deno.test("cli verify: legacy INI accepted", async () => {
  const r = await run(["frpc", `${FIX}legacy/frpc.ini`]);
  assert(r.code === 0, r.stdout);
});

Deno.test("cli: -v prints the frp version, exit 0; unknown flag and command exit 1", async () => {
  for (const bin of ["frps", "frpc"] as const) {
    const v = await exec(bin, ["-v"]);
    assert(v.code === 0 && v.stdout === "0.70.1\n", `${bin} -v: ${v.stdout}${v.stderr}`);
    const bad = await exec(bin, ["--no-such-flag"]);
    // cobra prints flag and command errors on stderr (tests/config/cli_diff_test.ts: vs Go).
    assert(
      bad.code === 1 && bad.stderr.includes("Error: unknown flag: --no-such-flag\n"),
      bad.stderr,
    );
    const cmd = await exec(bin, ["frobnicate"]);
    assert(cmd.code === 1 && cmd.stderr.includes(`unknown command "frobnicate"`), cmd.stderr);
  }
});
