/**
 * The demo: starts our frps and frpc as real processes from an embedded config, exposes a
 * small built-in local service through a tcp proxy, and proves a round trip through the
 * tunnel. `--exit` stops after the proof (CI); otherwise it keeps running until Ctrl+C.
 *
 * @module
 */
import { FRPC_FLAGS, FRPS_FLAGS } from "../cli/permissions.ts";

const root = new URL("..", import.meta.url).pathname;
const exitAfterProof = Deno.args.includes("--exit");

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** The built-in local service: answers every line with a greeting and the line reversed. */
function startLocalService(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(4096);
        const n = await conn.read(buf).catch(() => null);
        if (n) {
          const text = new TextDecoder().decode(buf.subarray(0, n)).trim();
          const reply = `hello from the local service: ${[...text].reverse().join("")}\n`;
          await conn.write(new TextEncoder().encode(reply)).catch(() => {});
        }
        conn.close();
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

interface Child {
  proc: Deno.ChildProcess;
  lines: string[];
  waitFor(re: RegExp, ms: number): Promise<string>;
}

function spawn(name: string, script: string, flags: readonly string[], config: string): Child {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `${root}${script}`, "-c", config],
    stdout: "piped",
    stderr: "piped",
    cwd: root,
  }).spawn();
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoderStream();
    let rest = "";
    for await (const chunk of s.pipeThrough(dec)) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const p of parts) {
        // deno-lint-ignore no-control-regex
        const clean = p.replace(/\x1b\[[0-9;]*m/g, "");
        lines.push(clean);
        console.log(`  ${name} | ${clean}`);
      }
      waiters.splice(0).forEach((w) => w());
    }
  };
  pump(proc.stdout);
  pump(proc.stderr);
  return {
    proc,
    lines,
    async waitFor(re, ms) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const hit = lines.find((l) => re.test(l));
        if (hit) return hit;
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      throw new Error(`${name}: no line matching ${re} within ${ms}ms`);
    },
  };
}

async function roundTrip(port: number, text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text + "\n"));
  const buf = new Uint8Array(4096);
  let out = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return out.trim();
}

const dir = await Deno.makeTempDir({ prefix: "frp-demo-" });
const bindPort = freePort();
const remotePort = freePort();
const token = crypto.randomUUID();
const local = startLocalService();
await Deno.writeTextFile(
  `${dir}/frps.toml`,
  `bindAddr = "127.0.0.1"\nbindPort = ${bindPort}\nauth.token = "${token}"\n`,
);
await Deno.writeTextFile(
  `${dir}/frpc.toml`,
  `serverAddr = "127.0.0.1"
serverPort = ${bindPort}
auth.token = "${token}"

[[proxies]]
name = "demo-tcp"
type = "tcp"
localIP = "127.0.0.1"
localPort = ${local.port}
remotePort = ${remotePort}
`,
);

console.log(`demo: local service on 127.0.0.1:${local.port}; configs in ${dir}`);
const frps = spawn("frps", "server/main.ts", FRPS_FLAGS, `${dir}/frps.toml`);
let frpc: Child | undefined;
let code = 0;
try {
  await frps.waitFor(/frps started successfully/, 20_000);
  frpc = spawn("frpc", "client/main.ts", FRPC_FLAGS, `${dir}/frpc.toml`);
  await frpc.waitFor(/\[demo-tcp\] start proxy success/, 20_000);
  const reply = await roundTrip(remotePort, "tunnel works");
  const expected = "hello from the local service: skrow lennut";
  if (reply !== expected) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  console.log(
    `\ndemo: PROOF OK — sent "tunnel works" to frps at 127.0.0.1:${remotePort}, ` +
      `frpc relayed it (TLS + yamux) to the local service, which answered:\n  ${reply}\n`,
  );
  if (!exitAfterProof) {
    console.log(`demo: tunnel stays up; try  nc 127.0.0.1 ${remotePort}  — Ctrl+C to stop`);
    await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", resolve));
  }
} catch (err) {
  console.error(`demo: FAILED: ${err instanceof Error ? err.message : err}`);
  code = 1;
} finally {
  for (const c of [frpc, frps]) {
    try {
      c?.proc.kill("SIGKILL");
    } catch { /* already gone */ }
    await c?.proc.status;
  }
  local.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(code);
