/**
 * Least privilege: frps and frpc run with `--allow-read` narrowed to the config's directory and
 * `--allow-env` narrowed to the variables the config template uses; a config that reaches
 * outside its grant fails with a clear message, not a crash.
 */
import { assert, assertEquals } from "../_helpers/assert.ts";
import { FRPC_FLAGS, FRPS_FLAGS } from "../../cli/permissions.ts";
import { freePorts } from "../_helpers/ports.ts";
import { startHttpHello, startTcpEcho, tcpRoundTrip } from "../_helpers/services.ts";
import { clientGrants, renderFlags, serverGrants } from "../../cli/permissions_for.ts";
import { loadClientConfig, loadServerConfig } from "../../config/mod.ts";
import type { ClientConfig, ServerConfig } from "../../config/types.ts";

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

/** Kills the spawned children and releases their pipes. */
async function killAll(children: (Deno.ChildProcess | undefined)[]): Promise<void> {
  for (const c of children) {
    if (!c) continue;
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
    await c.status;
    await c.stderr.cancel().catch(() => {});
    await c.stdout.cancel().catch(() => {});
  }
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
    await killAll([frpc, frps]);
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

/** `<main> permissions -c <config>` under the shipped flags: the printed flag words. */
async function permissionsOf(main: string, shipped: readonly string[], config: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...shipped, `${ROOT}${main}`, "permissions", "-c", config],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return text.split(/\s+/);
}

Deno.test("permissions: frps/frpc print the minimal flags; both run a tunnel with exactly them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "frp-perms-" });
  await using echo = startTcpEcho();
  await using hello = startHttpHello("hello via vhost");
  const [bindPort, remotePort, vhostPort, adminPort, visitorPort] = freePorts(5);
  await Deno.writeTextFile(
    `${dir}/frps.toml`,
    `bindAddr = "127.0.0.1"\nbindPort = ${bindPort}\nproxyBindAddr = "127.0.0.1"\n` +
      `vhostHTTPPort = ${vhostPort}\nallowPorts = [{ single = ${remotePort} }]\n` +
      `auth.token = "{{ .Envs.FRP_TOKEN }}"\nlog.to = "${dir}/logs/frps.log"\n`,
  );
  await Deno.writeTextFile(
    `${dir}/frpc.toml`,
    `serverAddr = "127.0.0.1"\nserverPort = ${bindPort}\nauth.token = "{{ .Envs.FRP_TOKEN }}"\n` +
      `webServer.addr = "127.0.0.1"\nwebServer.port = ${adminPort}\n` +
      `[[proxies]]\nname = "tcp"\ntype = "tcp"\nlocalPort = ${echo.port}\nremotePort = ${remotePort}\n` +
      `[[proxies]]\nname = "web"\ntype = "http"\nlocalPort = ${hello.port}\ncustomDomains = ["a.test"]\n` +
      `[[proxies]]\nname = "sec"\ntype = "stcp"\nsecretKey = "k"\nlocalPort = ${echo.port}\n` +
      `[[visitors]]\nname = "v"\ntype = "stcp"\nserverName = "sec"\nsecretKey = "k"\n` +
      `bindAddr = "127.0.0.1"\nbindPort = ${visitorPort}\n`,
  );
  const env = { FRP_TOKEN: "perm-secret" };
  const sFlags = await permissionsOf("server/main.ts", FRPS_FLAGS, `${dir}/frps.toml`);
  const cFlags = await permissionsOf("client/main.ts", FRPC_FLAGS, `${dir}/frpc.toml`);
  assertEquals(
    sFlags.filter((f) => f.startsWith("--allow")),
    [
      `--allow-net=127.0.0.1:${bindPort},127.0.0.1:${remotePort},127.0.0.1:${vhostPort}`,
      `--allow-read=${dir}/frps.toml,${dir}/logs`,
      `--allow-write=${dir}/logs`,
      "--allow-env=FRP_TOKEN",
      "--allow-sys=hostname,osRelease",
    ].map((f) => f.split("=")[0] === "--allow-net" ? sortList(f) : f),
  );
  assertEquals(
    cFlags.filter((f) => f.startsWith("--allow")),
    [
      sortList(
        `--allow-net=127.0.0.1:${adminPort},127.0.0.1:${bindPort},127.0.0.1:${echo.port},` +
          `127.0.0.1:${hello.port},127.0.0.1:${visitorPort}`,
      ),
      `--allow-read=${dir}/frpc.toml`,
      "--allow-env=FRP_TOKEN",
      "--allow-sys=hostname,osRelease",
    ],
  );
  const frps = spawn("server/main.ts", sFlags, `${dir}/frps.toml`, env);
  let frpc: Deno.ChildProcess | undefined;
  try {
    // log.to is a file: readiness shows there, written under the narrowed --allow-write.
    await waitForFile(`${dir}/logs/frps.log`, /frps started successfully/, 20_000);
    frpc = spawn("client/main.ts", cFlags, `${dir}/frpc.toml`, env);
    // (waitForLine locks stdout: one call, every proxy in one lookahead pattern.)
    const all = ["tcp", "web", "sec"].map((n) => `(?=[\\s\\S]*\\[${n}\\] start proxy success)`);
    await waitForLine(frpc, new RegExp(`^${all.join("")}`), 20_000);
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    assertEquals(dec.decode(await tcpRoundTrip(remotePort, enc.encode("via tcp"))), "via tcp");
    assertEquals(dec.decode(await tcpRoundTrip(visitorPort, enc.encode("via stcp"))), "via stcp");
    const web = await Deno.connect({ hostname: "127.0.0.1", port: vhostPort });
    await web.write(enc.encode("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"));
    const page = await new Response(web.readable).text();
    assert(page.startsWith("HTTP/1.1 200") && page.endsWith("hello via vhost"), page);
    const status = await fetch(`http://127.0.0.1:${adminPort}/api/status`);
    await status.body?.cancel();
    assert(status.status === 200 || status.status === 401, `admin API: ${status.status}`);
  } finally {
    await killAll([frpc, frps]);
    await Deno.remove(dir, { recursive: true });
  }
});

function sortList(flag: string): string {
  const [k, v] = flag.split("=");
  return `${k}=${v.split(",").sort().join(",")}`;
}

async function waitForFile(path: string, re: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let text = "";
  while (Date.now() < end) {
    text = await Deno.readTextFile(path).catch(() => "");
    if (re.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${re} in ${path}:\n${text}`);
}

Deno.test("permissions: every seed sample config gets narrowed flags listing its own ports", async () => {
  const seed = `${ROOT}tests/fixtures/config/seed`;
  let checked = 0;
  for (const e of [...Deno.readDirSync(seed)].filter((e) => /\.toml$/.test(e.name))) {
    const path = `${seed}/${e.name}`;
    const server = e.name.startsWith("frps");
    const loaded = await (server ? loadServerConfig : loadClientConfig)(path).catch(() => null);
    if (!loaded) continue; // samples that are fragments (no full config) are not runnable
    const text = await Deno.readTextFile(path);
    const g = server
      ? serverGrants(loaded.config as ServerConfig, path, text, ROOT)
      : clientGrants(loaded.config as ClientConfig, path, text, ROOT);
    const flags = renderFlags(g, server ? "frps" : "frpc");
    assert(flags.includes(`--allow-read=${path}`) || flags.some((f) => f.includes(path)), e.name);
    assert(!flags.includes("--allow-read") && !flags.includes("--allow-env"), e.name);
    const net = flags.find((f) => f.startsWith("--allow-net"))!;
    const port = server
      ? (loaded.config as ServerConfig).bindPort
      : (loaded.config as ClientConfig).serverPort;
    const hosts = net.split("=")[1]?.split(",") ?? [];
    assert(
      net === "--allow-net" || net.includes(`:${port}`) || hosts.some((h) => !/:\d+$/.test(h)),
      `${e.name}: ${net}`,
    );
    checked++;
  }
  assert(checked > 40, `only ${checked} seed samples loaded`);
});
