/**
 * Installing as users do: scripts/install.sh into a temporary root, the frps/frpc wrappers run a
 * tunnel from the installed tree (deno --cached-only, the shipped permission set), and the
 * systemd units pass `systemd-analyze verify` (skipped with a message where it is missing).
 */
import { assert, assertEquals } from "./_helpers/assert.ts";
import { freePorts } from "./_helpers/ports.ts";
import { startTcpEcho, tcpRoundTrip } from "./_helpers/services.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function hasSystemdAnalyze(): boolean {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Spawns an installed wrapper; resolves once its output matches `re` (bounded). */
async function startWrapper(bin: string, config: string, re: RegExp) {
  const child = new Deno.Command(bin, {
    args: ["-c", config],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!re.test(text) && Date.now() < deadline) {
    const r = await Promise.race([
      reader.read(),
      new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now())),
    ]);
    if (!r || r.done) break;
    text += r.value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  if (!re.test(text)) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`${bin}: no ${re} in:\n${text}`);
  }
  return child;
}

Deno.test("deploy: install.sh, then the installed frps/frpc wrappers carry a tunnel", async () => {
  const root = await Deno.makeTempDir({ prefix: "frp-install-" });
  const env = {
    PREFIX: `${root}/opt/frp`,
    BINDIR: `${root}/bin`,
    UNITDIR: `${root}/units`,
    CONFDIR: `${root}/etc/frp`,
    DENO: Deno.execPath(),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const children: Deno.ChildProcess[] = [];
  try {
    const inst = await run(`${ROOT}scripts/install.sh`, [], env);
    assertEquals(inst.code, 0, inst.text);
    // Only the runtime tree is installed.
    for (const absent of ["tests", ".git", ".cache", "protocol/io_test.ts"]) {
      assert(!(await Deno.stat(`${env.PREFIX}/${absent}`).catch(() => null)), absent);
    }
    const wrapper = await Deno.readTextFile(`${env.BINDIR}/frps`);
    assert(/--cached-only/.test(wrapper) && !/ -A /.test(wrapper), wrapper);
    assertEquals((await run(`${env.BINDIR}/frpc`, ["-v"])).text.split("\n")[0], "0.70.1");

    await using echo = startTcpEcho();
    const [bindPort, remotePort] = freePorts(2);
    await Deno.writeTextFile(
      `${env.CONFDIR}/frps.toml`,
      `bindAddr = "127.0.0.1"\nbindPort = ${bindPort}\n`,
    );
    await Deno.writeTextFile(
      `${env.CONFDIR}/frpc.toml`,
      `serverAddr = "127.0.0.1"\nserverPort = ${bindPort}\n[[proxies]]\nname = "t"\n` +
        `type = "tcp"\nlocalPort = ${echo.port}\nremotePort = ${remotePort}\n`,
    );
    children.push(
      await startWrapper(
        `${env.BINDIR}/frps`,
        `${env.CONFDIR}/frps.toml`,
        /frps started successfully/,
      ),
    );
    children.push(
      await startWrapper(
        `${env.BINDIR}/frpc`,
        `${env.CONFDIR}/frpc.toml`,
        /\[t\] start proxy success/,
      ),
    );
    const back = await tcpRoundTrip(remotePort, new TextEncoder().encode("installed"));
    assertEquals(new TextDecoder().decode(back), "installed");

    if (!hasSystemdAnalyze()) {
      console.log("deploy: systemd-analyze not found; unit verification skipped");
      return;
    }
    const units = env.UNITDIR;
    await Deno.copyFile(`${units}/frpc@.service`, `${units}/frpc@demo.service`);
    const unitText = await Deno.readTextFile(`${units}/frps.service`);
    assert(/AmbientCapabilities=CAP_NET_BIND_SERVICE/.test(unitText), unitText);
    assert(/LogsDirectory=frp/.test(unitText), unitText);
    assert(unitText.includes(`ExecStart=${env.BINDIR}/frps -c /etc/frp/frps.toml`), unitText);
    const v = await run("systemd-analyze", [
      "verify",
      `${units}/frps.service`,
      `${units}/frpc.service`,
      `${units}/frpc@demo.service`,
    ]);
    assertEquals(v.code, 0, v.text);
    // The check can fail: a unit whose ExecStart does not exist is rejected.
    await Deno.writeTextFile(
      `${units}/broken.service`,
      unitText.replaceAll(`${env.BINDIR}/frps`, `${root}/missing/frps`),
    );
    const bad = await run("systemd-analyze", ["verify", `${units}/broken.service`]);
    assert(bad.code !== 0, `a missing ExecStart passed verify: ${bad.text}`);
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
      await c.status;
    }
    await Deno.remove(root, { recursive: true });
  }
});
