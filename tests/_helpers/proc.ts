/**
 * Spawning frps/frpc (ours or Go frp's) for tests. Every process is killed on dispose, so tests
 * hold them with `await using`.
 */
import { FRPC_FLAGS, FRPS_FLAGS } from "./permissions.ts";
import { toToml } from "./toml.ts";

/** Which implementation to run: ours (`ts`) or the reference Go build. */
export type Impl = "ts" | "go";

/** Go frp versions the suites know about; the first is the reference. */
export const GO_VERSIONS: readonly string[] = ["v0.70.1", "v0.62.1"];

/** Default Go frp version: `$FRP_GO_VERSION` or v0.70.1. */
export const DEFAULT_GO_VERSION: string = Deno.env.get("FRP_GO_VERSION") ?? GO_VERSIONS[0];

/** Absolute path of the repository root. */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Log text frps prints once it listens (Go: `frps/root.go`). */
export const FRPS_READY: RegExp = /frps started successfully/;
/** Log text frpc prints after a successful login (Go: `client/service.go`). */
export const FRPC_READY: RegExp = /login to server success, get run id/;

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const MAX_LINES = 20000;

/** Children still running; SIGKILLed if the test process unloads (e.g. after a crash). */
const live = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", () => {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
  }
});

/** Path of a Go frp binary; throws a clear message when it was not built. */
export function goFrpPath(bin: "frps" | "frpc", version: string = DEFAULT_GO_VERSION): string {
  const path = `${REPO_ROOT}/.cache/gofrp/${version}/${bin}`;
  try {
    if (Deno.statSync(path).isFile) return path;
  } catch { /* fall through */ }
  throw new Error(
    `Go frp ${bin} ${version} not found at ${path}; run scripts/get_go_frp.sh ${version}`,
  );
}

/** Whether both Go frp binaries of `version` are built. */
export function hasGoFrp(version: string = DEFAULT_GO_VERSION): boolean {
  try {
    goFrpPath("frps", version);
    goFrpPath("frpc", version);
    return true;
  } catch {
    return false;
  }
}

/** Whether our entrypoints exist yet (server/main.ts and client/main.ts). */
export function hasTsFrp(): boolean {
  try {
    return Deno.statSync(`${REPO_ROOT}/server/main.ts`).isFile &&
      Deno.statSync(`${REPO_ROOT}/client/main.ts`).isFile;
  } catch {
    return false;
  }
}

/** Options of {@linkcode startFrps} / {@linkcode startFrpc}. */
export interface StartOptions {
  /** Implementation to run. */
  impl: Impl;
  /** Go frp version when `impl` is "go". @default DEFAULT_GO_VERSION */
  goVersion?: string;
  /** TOML text, or an object serialized to TOML. */
  config: Record<string, unknown> | string;
  /**
   * Resolve once an output line matches this; `null` resolves right after spawning.
   * @default FRPS_READY for frps, FRPC_READY for frpc
   */
  waitFor?: string | RegExp | null;
  /** How long to wait for `waitFor`. @default 20000 */
  timeoutMs?: number;
  /** Extra CLI arguments after `-c <file>`. @default [] */
  args?: string[];
  /** Extra `deno run` flags for our implementation (e.g. `--allow-run=cat`). @default [] */
  denoFlags?: string[];
  /** Label used in errors and logs. @default "<impl> frps" / "<impl> frpc" */
  label?: string;
  /**
   * Linux network namespace to run the process in (`ip netns exec <netns> ...`, which execs the
   * binary, so the pid is still the frps/frpc process). @default the test's own namespace
   */
  netns?: string;
}

/** A spawned process whose stdout+stderr lines are captured in memory. */
export class Proc implements AsyncDisposable {
  /** Captured output lines (ANSI colours stripped), stdout and stderr interleaved. */
  readonly lines: string[] = [];
  /** Resolves with the exit status once the process ended and its output was read. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Label used in errors. */
  readonly label: string;
  /** Temp dir holding the config file; removed on kill. */
  readonly dir: string;
  /** Path of the config file. */
  readonly configPath: string;

  #child: Deno.ChildProcess;
  #status: Deno.CommandStatus | undefined;
  #waiters = new Set<{ re: RegExp; from: number; resolve: (l: string) => void }>();
  #onExit = new Set<() => void>();
  #dropped = 0;

  constructor(label: string, cmd: string, args: string[], dir: string, configPath: string) {
    this.label = label;
    this.dir = dir;
    this.configPath = configPath;
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    live.add(this.#child);
    const pumps = [this.#pump(this.#child.stdout), this.#pump(this.#child.stderr)];
    this.exited = Promise.all([this.#child.status, ...pumps]).then(([status]) => {
      this.#status = status;
      live.delete(this.#child);
      for (const f of this.#onExit) f();
      return status;
    });
  }

  /** Process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Exit status if the process has ended. */
  get status(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    const push = (line: string) => {
      const clean = line.replace(ANSI, "").replace(/\r$/, "");
      this.lines.push(clean);
      if (this.lines.length > MAX_LINES) {
        this.lines.shift();
        this.#dropped++;
      }
      for (const w of this.#waiters) {
        if (w.re.test(clean)) {
          this.#waiters.delete(w);
          w.resolve(clean);
        }
      }
    };
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) push(p);
    }
    rest += decoder.decode();
    if (rest.length > 0) push(rest);
  }

  /** All captured output as one string, labelled, for error messages. */
  output(): string {
    const head = this.#dropped > 0 ? `(${this.#dropped} earlier lines dropped)\n` : "";
    const status = this.#status ? ` (exited code=${this.#status.code})` : "";
    return `----- ${this.label} pid ${this.pid}${status} -----\n${head}${this.lines.join("\n")}`;
  }

  /**
   * Resolves with the first line (already captured or future) matching `re`; rejects with the
   * captured output on timeout or when the process exits first.
   */
  waitForLine(re: string | RegExp, timeoutMs = 20000): Promise<string> {
    const rx = typeof re === "string" ? new RegExp(escapeRe(re)) : re;
    const found = this.lines.find((l) => rx.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => fail(`timeout after ${timeoutMs} ms`), timeoutMs);
      const fail = (why: string) => {
        this.#waiters.delete(waiter);
        this.#onExit.delete(onExit);
        clearTimeout(timer);
        reject(new Error(`${this.label}: ${why} waiting for ${rx}\n${this.output()}`));
      };
      const waiter = {
        re: rx,
        from: this.lines.length,
        resolve: (l: string) => {
          this.#onExit.delete(onExit);
          clearTimeout(timer);
          resolve(l);
        },
      };
      const onExit = () => fail(`process exited (code ${this.#status?.code})`);
      this.#waiters.add(waiter);
      if (this.#status) onExit();
      else this.#onExit.add(onExit);
    });
  }

  /** Waits for the process to exit by itself, killing it after `timeoutMs`. */
  async waitExit(timeoutMs = 20000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (res === "timeout") {
      await this.kill();
      throw new Error(`${this.label}: did not exit within ${timeoutMs} ms\n${this.output()}`);
    }
    return res;
  }

  /** SIGTERM, then SIGKILL after 2 s; resolves with the exit status. Idempotent. */
  async kill(): Promise<Deno.CommandStatus> {
    if (!this.#status) {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<"late">((r) => timer = setTimeout(() => r("late"), 2000));
      const res = await Promise.race([this.exited, grace]);
      clearTimeout(timer);
      if (res === "late") {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }
    const status = await this.exited;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function start(bin: "frps" | "frpc", opts: StartOptions): Promise<Proc> {
  const dir = await Deno.makeTempDir({ prefix: `frp-test-${bin}-` });
  const configPath = `${dir}/${bin}.toml`;
  const text = typeof opts.config === "string" ? opts.config : toToml(opts.config);
  await Deno.writeTextFile(configPath, text);
  const extra = opts.args ?? [];
  let cmd: string;
  let args: string[];
  let label: string;
  if (opts.impl === "go") {
    const version = opts.goVersion ?? DEFAULT_GO_VERSION;
    try {
      cmd = goFrpPath(bin, version);
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
    args = ["-c", configPath, ...extra];
    label = opts.label ?? `go ${bin} ${version}`;
  } else {
    const flags = bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
    const main = bin === "frps" ? "server/main.ts" : "client/main.ts";
    cmd = Deno.execPath();
    args = [
      "run",
      ...flags,
      ...(opts.denoFlags ?? []),
      `${REPO_ROOT}/${main}`,
      "-c",
      configPath,
      ...extra,
    ];
    label = opts.label ?? `ts ${bin}`;
  }
  if (opts.netns !== undefined) {
    args = ["netns", "exec", opts.netns, cmd, ...args];
    cmd = "ip";
  }
  const proc = new Proc(label, cmd, args, dir, configPath);
  const waitFor = opts.waitFor === undefined
    ? (bin === "frps" ? FRPS_READY : FRPC_READY)
    : opts.waitFor;
  if (waitFor === null) return proc;
  try {
    await proc.waitForLine(waitFor, opts.timeoutMs ?? 20000);
  } catch (e) {
    await proc.kill();
    throw new Error(`${(e as Error).message}\n----- config ${configPath} -----\n${text}`);
  }
  return proc;
}

/** Starts frps and waits until it reports it is serving (see {@linkcode StartOptions}). */
export function startFrps(opts: StartOptions): Promise<Proc> {
  return start("frps", opts);
}

/** Starts frpc and waits until it logged in (see {@linkcode StartOptions}). */
export function startFrpc(opts: StartOptions): Promise<Proc> {
  return start("frpc", opts);
}

/**
 * Runs `fn`; if it throws, rethrows with the captured output of `procs` appended, so a failing
 * test shows what frps/frpc said.
 */
export async function withLogs<T>(procs: Proc[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += "\n" + procs.map((p) => p.output()).join("\n");
    throw err;
  }
}

/**
 * Runs `frps|frpc <args…>` (ours or Go's) to completion in `cwd`: exit code and stdout (stderr
 * apart: Deno's own "DANGER: TLS certificate validation…" notice goes there).
 */
export async function runToEnd(
  impl: Impl,
  bin: "frps" | "frpc",
  args: string[],
  cwd: string = REPO_ROOT,
  timeoutMs = 20_000,
): Promise<{ code: number; out: string; err: string }> {
  const main = `${REPO_ROOT}/${bin === "frps" ? "server" : "client"}/main.ts`;
  const flags = bin === "frps" ? FRPS_FLAGS : FRPC_FLAGS;
  const out = await new Deno.Command(impl === "go" ? goFrpPath(bin) : Deno.execPath(), {
    args: impl === "go" ? args : ["run", "--quiet", ...flags, main, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}
