/**
 * Builds self-contained `frps` and `frpc` binaries with `deno compile`, for the targets Deno
 * supports, into dist/<target>/. The permission sets are baked in (never -A).
 *
 *   deno task compile [--target=x86_64-unknown-linux-gnu,...]
 *
 * `deno compile` downloads a runtime (denort) per target from dl.deno.land; where that host is
 * unreachable this script stops with a clear message instead of a stack trace.
 *
 * @module
 */
import { FRPC_FLAGS, FRPS_FLAGS } from "../cli/permissions.ts";

const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** The flags each binary is compiled with: the same sets as the `frps`/`frpc` tasks. */
const COMPILE_FLAGS: Record<"frps" | "frpc", readonly string[]> = {
  frps: FRPS_FLAGS,
  frpc: FRPC_FLAGS,
};

const ENTRY = { frps: "server/main.ts", frpc: "client/main.ts" } as const;

const root = new URL("..", import.meta.url).pathname;

async function compile(bin: "frps" | "frpc", target: string): Promise<void> {
  const out = `${root}dist/${target}/${bin}`;
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...COMPILE_FLAGS[bin],
      "--target",
      target,
      "--output",
      out,
      `${root}${ENTRY[bin]}`,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const res = await cmd.output();
  if (res.success) {
    console.log(`compiled ${bin} for ${target} → ${out}`);
    return;
  }
  // deno-lint-ignore no-control-regex
  const err = new TextDecoder().decode(res.stderr).replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n").filter((l) => !/^\s*(\d+: <unknown>|Stack backtrace:)\s*$/.test(l)).join("\n");
  if (/dl\.deno\.land|denort|download|error sending request|dns error|connect/i.test(err)) {
    throw new Error(
      `deno compile could not download its runtime (denort) for ${target}: this machine cannot ` +
        `reach dl.deno.land. Run this on a machine with that access (the rest of the project ` +
        `needs only npm). Deno said:\n  ${
          err.split("\n").filter((l) => /error sending request|dns error|denort/.test(l))
            .map((l) => l.trim()).join("\n  ")
        }`,
    );
  }
  throw new Error(`deno compile ${bin} for ${target} failed:\n${err}`);
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--target="));
  const targets = arg ? arg.slice("--target=".length).split(",") : TARGETS;
  try {
    for (const t of targets) {
      for (const bin of ["frps", "frpc"] as const) await compile(bin, t);
    }
  } catch (e) {
    console.error(`compile: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
