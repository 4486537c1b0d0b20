/**
 * Least privilege: frps and frpc run with `--allow-read` narrowed to the config's directory and
 * `--allow-env` narrowed to the variables the config template uses; a config that reaches
 * outside its grant fails with a clear message, not a crash.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "../../cli/permissions.ts";
import { freePorts } from "../_helpers/ports.ts";
import { startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The shipped flags with read and env narrowed. */
function narrowed(flags: readonly string[], dir: string, env: string): string[] {
  return flags.map((f) =>
    f === "--allow-read" ? `--allow-read=${dir}` : f === "--allow-env" ? `--allow-env=${env}` : f
  );
}

function spawn(main: string, flags: string[], config: string, env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${ROOT}${main}`, "-c", config],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function waitForLine(child: Deno.ChildProcess, re: RegExp, ms: number): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now())),
      ]);
      if (!r || r.done) break;
      text += r.value;
      if (re.test(text)) return text;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`no ${re} in:\n${text}`);
}

Deno.test("least privilege: read and env narrowed to the config dir and its template vars", async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-narrow-" });
  await using echo = startTcpEcho();
  const [bindPort, remotePort] = freePorts(2);
  await Deno.writeTextFile(
    `${dir}/frps.toml`,
    // frps has the literal token: frpc only logs in if its template really read FRP_TOKEN
    // (an unreadable variable must not render as "<no value>" on both sides).
    `bindAddr = "127.0.0.1"\nbindPort = ${bindPort}\nauth.token = "narrow-secret"\n`,
  );
  await Deno.writeTextFile(
    `${dir}/frpc.toml`,
    `serverAddr = "127.0.0.1"\nserverPort = ${bindPort}\nauth.token = "{{ .Envs.FRP_TOKEN }}"\n` +
      `[[proxies]]\nname = "narrow"\ntype = "tcp"\nlocalPort = ${echo.port}\nremotePort = ${remotePort}\n`,
  );
  const env = { FRP_TOKEN: "narrow-secret" };
  const frps = spawn(
    "server/main.ts",
    narrowed(FRPS_FLAGS, dir, "FRP_TOKEN"),
    `${dir}/frps.toml`,
    env,
  );
  let frpc: Deno.ChildProcess | undefined;
  try {
    await waitForLine(frps, /frps started successfully/, 20_000);
    frpc = spawn(
      "client/main.ts",
      narrowed(FRPC_FLAGS, dir, "FRP_TOKEN"),
      `${dir}/frpc.toml`,
      env,
    );
    await waitForLine(frpc, /\[narrow\] start proxy success/, 20_000);
    const back = await tcpRoundTrip(remotePort, new TextEncoder().encode("least privilege"));
    assertEquals(new TextDecoder().decode(back), "least privilege");
  } finally {
    for (const c of [frpc, frps]) {
      if (!c) continue;
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
      await c.status;
      await c.stderr.cancel().catch(() => {});
      await c.stdout.cancel().catch(() => {});
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("least privilege: an include outside the read grant is a clear error, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-narrow-" });
  const outside = await Deno.makeTempDir({ prefix: "frp-outside-" });
  await Deno.writeTextFile(
    `${outside}/more.toml`,
    `[[proxies]]\nname = "x"\ntype = "tcp"\nlocalPort = 1\n`,
  );
  await Deno.writeTextFile(
    `${dir}/frpc.toml`,
    `serverAddr = "127.0.0.1"\nincludes = ["${outside}/*.toml"]\n`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...narrowed(FRPC_FLAGS, dir, "FRP_TOKEN"),
        `${ROOT}client/main.ts`,
        "verify",
        "-c",
        `${dir}/frpc.toml`,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, text);
    assert(
      /read access|NotCapable|permission/i.test(text),
      `expected a permission message: ${text}`,
    );
    assert(!/^\s+at /m.test(text), `no stack trace expected: ${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("least privilege: a template variable outside --allow-env is an error, not <no value>", async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-narrow-" });
  await Deno.writeTextFile(
    `${dir}/frps.toml`,
    `bindPort = 7000\nauth.token = "{{ .Envs.FRP_SECRET_TOKEN }}"\n`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...narrowed(FRPS_FLAGS, dir, "FRP_TOKEN"),
        `${ROOT}server/main.ts`,
        "verify",
        "-c",
        `${dir}/frps.toml`,
      ],
      env: { NO_COLOR: "1", FRP_SECRET_TOKEN: "s" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, text);
    assert(/environment variable FRP_SECRET_TOKEN.*--allow-env=FRP_SECRET_TOKEN/.test(text), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
