/**
 * Process and measurement helpers for scripts/bench.ts: the native tcpbench tool, wrk, /proc
 * readings, and a registry of everything spawned so that it can be killed on exit or Ctrl+C.
 */
import { REPO_ROOT } from "../../tests/_helpers/proc.ts";

/** Something that must be stopped before the bench exits. */
export interface Killable {
  kill(): Promise<unknown>;
}

/** Every spawned process that may still run. */
export const live: Set<Killable> = new Set();

/** Kills everything still registered (in parallel, each with its own grace period). */
export async function killAll(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.allSettled(all.map((k) => k.kill()));
}

/** Directory of build artifacts. */
export const CACHE_DIR: string = `${REPO_ROOT}/.cache/bench`;
/** Path of the native source/sink once built. */
export const TCPBENCH: string = `${CACHE_DIR}/tcpbench`;
const TCPBENCH_SRC = `${REPO_ROOT}/scripts/bench/tcpbench.c`;

/** Whether `cmd` is on PATH. */
export async function which(cmd: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${cmd}`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const path = new TextDecoder().decode(out.stdout).trim();
    return out.success && path ? path : null;
  } catch {
    return null;
  }
}

/** Builds .cache/bench/tcpbench from scripts/bench/tcpbench.c when missing or older than it. */
export async function buildTcpbench(): Promise<string> {
  const src = await Deno.stat(TCPBENCH_SRC);
  try {
    const bin = await Deno.stat(TCPBENCH);
    if ((bin.mtime?.getTime() ?? 0) >= (src.mtime?.getTime() ?? 0)) return TCPBENCH;
  } catch { /* not built */ }
  const cc = await which("gcc") ?? await which("cc");
  if (!cc) {
    throw new Error(`no C compiler found: install gcc, or build ${TCPBENCH} from ${TCPBENCH_SRC}`);
  }
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const out = await new Deno.Command(cc, {
    args: ["-O2", "-Wall", "-pthread", "-o", TCPBENCH, TCPBENCH_SRC],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`building tcpbench failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return TCPBENCH;
}

/** Result of {@linkcode run}. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion, SIGKILLing it after `timeoutMs`. Throws on timeout or a non-zero
 * exit code.
 */
export async function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const entry: Killable = {
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
  live.add(entry);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    const res = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    if (timedOut) throw new Error(`${cmd} ${args.join(" ")}: timed out after ${timeoutMs} ms`);
    if (res.code !== 0) {
      throw new Error(`${cmd} ${args.join(" ")}: exit ${res.code}: ${res.stderr.trim()}`);
    }
    return res;
  } finally {
    clearTimeout(timer);
    live.delete(entry);
  }
}

/** A running `tcpbench serve` backend. */
export interface Backend extends Killable {
  port: number;
}

/** Starts the native backend (sink, echo and HTTP hello on one port). */
export async function startBackend(port: number): Promise<Backend> {
  const child = new Deno.Command(TCPBENCH, {
    args: ["serve", String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const backend: Backend = {
    port,
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
  live.add(backend);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await Promise.race([
    reader.read(),
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error("backend start timeout")), 5000)),
  ]);
  if (!first.value?.includes("listening")) throw new Error("tcpbench serve did not start");
  // Keep draining stdout so the pipe never fills.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return backend;
}

/** Sends `bytes` on each of `conns` connections to port; returns MB/s (10^6 bytes/s). */
export async function sendThroughput(
  port: number,
  bytes: number,
  conns: number,
): Promise<{ mbps: number; seconds: number }> {
  // Generous bound: 5 MB/s would be a broken path, not a slow one.
  const timeoutMs = 30_000 + (bytes * conns) / 5e6 * 1000;
  const res = await run(
    TCPBENCH,
    ["send", "127.0.0.1", String(port), String(bytes), String(conns)],
    timeoutMs,
  );
  const j = JSON.parse(res.stdout.trim()) as { bytes: number; seconds: number };
  return { mbps: j.bytes / j.seconds / 1e6, seconds: j.seconds };
}

/** `n` sequential connect–echo–close round trips; returns percentiles in microseconds. */
export async function connectLatency(
  port: number,
  n: number,
): Promise<{ p50_us: number; p99_us: number; mean_us: number }> {
  const res = await run(TCPBENCH, ["lat", "127.0.0.1", String(port), String(n)], 30_000 + n * 50);
  return JSON.parse(res.stdout.trim());
}

/** Holds `n` echoed connections open until the returned handle is killed. */
export async function holdConnections(port: number, n: number, timeoutMs: number) {
  const child = new Deno.Command(TCPBENCH, {
    args: ["hold", "127.0.0.1", String(port), String(n)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const handle: Killable = {
    kill: async () => {
      await stdin.close().catch(() => {});
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 3000);
      await child.status;
      clearTimeout(t);
    },
  };
  live.add(handle);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const first = await Promise.race([
      reader.read(),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), timeoutMs)),
    ]);
    if (first === "timeout" || !first.value?.includes("ready")) {
      await handle.kill();
      live.delete(handle);
      const err = await new Response(child.stderr).text().catch(() => "");
      throw new Error(
        `holding ${n} connections failed (${first === "timeout" ? "timeout" : "exit"}) ${err}`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
  child.stderr.cancel().catch(() => {});
  return {
    release: async () => {
      live.delete(handle);
      await handle.kill();
    },
  };
}

/** Runs wrk against `url` with a Host header; returns requests/s. */
export async function wrkRps(
  url: string,
  host: string | { domains: number; name: (i: number) => string },
  seconds: number,
  conns: number,
): Promise<number> {
  let script: string | undefined;
  if (typeof host !== "string") {
    // One Host per request, round robin over the domains (wrk's Lua request hook).
    const names = Array.from({ length: host.domains }, (_, i) => `"${host.name(i)}"`);
    script = await Deno.makeTempFile({ prefix: "frp-bench-wrk-", suffix: ".lua" });
    await Deno.writeTextFile(
      script,
      `local hosts = {${names.join(",")}}\nlocal i = 0\n` +
        `request = function()\n  i = i % #hosts + 1\n` +
        `  return wrk.format(nil, nil, { ["Host"] = hosts[i] })\nend\n`,
    );
  }
  const target = script ? ["-s", script] : ["-H", `Host: ${host}`];
  const res = await run(
    "wrk",
    ["-t1", `-c${conns}`, `-d${seconds}s`, "--timeout", "5s", ...target, url],
    (seconds + 20) * 1000,
  ).finally(() => script ? Deno.remove(script).catch(() => {}) : undefined);
  const rps = res.stdout.match(/Requests\/sec:\s+([\d.]+)/);
  const total = res.stdout.match(/(\d+) requests in/);
  const non2xx = res.stdout.match(/Non-2xx or 3xx responses: (\d+)/);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${res.stdout}`);
  if (non2xx && Number(non2xx[1]) > Number(total[1]) / 100) {
    throw new Error(`wrk: ${non2xx[1]} of ${total[1]} responses were not 2xx/3xx`);
  }
  return Number(rps[1]);
}

/**
 * Reads a /proc file. Deno needs --allow-all for /proc, so without it this falls back to `cat`
 * (the bench runs with --allow-run anyway).
 */
export async function readProc(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
  }
  return (await run("cat", [path], 10_000)).stdout;
}

/** VmRSS of a process in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readProc(`/proc/${pid}/status`);
  const m = status.match(/VmRSS:\s+(\d+)\s+kB/);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

const CLK_TCK = 100;

/** utime+stime of a process in seconds (from /proc/PID/stat; assumes USER_HZ = 100). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readProc(`/proc/${pid}/stat`);
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** Ports in LISTEN state on this host (IPv4 and IPv6), from /proc/net/tcp{,6}. */
export async function listeningPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = await readProc(f);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== "0A") continue;
      const port = parseInt(cols[1].split(":")[1], 16);
      if (Number.isFinite(port)) ports.add(port);
    }
  }
  return ports;
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One echo round trip through `port` (the backend's 'E' protocol), or an HTTP GET with a Host
 * header when `httpHost` is set. Resolves true on success, false on any failure or timeout.
 */
export async function probe(port: number, httpHost?: string, timeoutMs = 3000): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = (async () => {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const msg = httpHost
      ? `GET / HTTP/1.1\r\nHost: ${httpHost}\r\nConnection: close\r\n\r\n`
      : "Eprobe";
    await conn.write(new TextEncoder().encode(msg));
    const buf = new Uint8Array(4096);
    let got = "";
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
      if (!httpHost && got.length >= msg.length) break;
      if (httpHost && got.includes("\r\n\r\n") && got.endsWith("hello")) break;
    }
    return httpHost ? /^HTTP\/1\.[01] 200/.test(got) && got.endsWith("hello") : got === msg;
  })();
  const timeout = new Promise<false>((r) => timer = setTimeout(() => r(false), timeoutMs));
  try {
    return await Promise.race([work.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed */ }
    work.catch(() => {});
  }
}
