/**
 * Runtime glue shared by the frps and frpc entrypoints: the logger from `log.*` settings and
 * the host facts Login reports. Only entrypoints (and frps's in-process SSH gateway client)
 * import this.
 *
 * @module
 */
import { Logger, type LogLevel } from "../log/logger.ts";
import { CONSOLE_SINK, FileSink } from "../log/sinks.ts";
import type { LogConfig } from "../config/types.ts";

/** Builds the process logger from a completed `log` section. */
export function createLogger(log: LogConfig): Logger {
  const toConsole = log.to === "" || log.to === "console";
  return new Logger({
    level: (log.level || "info") as LogLevel,
    color: toConsole && !log.disablePrintColor,
    sink: toConsole ? CONSOLE_SINK : new FileSink(log.to, log.maxDays),
  });
}

const GO_ARCH: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };

/** Hostname, GOOS and GOARCH spellings for Login. */
export function hostInfo(): { hostname: string; os: string; arch: string } {
  let hostname = "";
  try {
    hostname = Deno.hostname();
  } catch { /* --allow-sys=hostname not granted: frp < 0.67 sent none either */ }
  return { hostname, os: Deno.build.os, arch: GO_ARCH[Deno.build.arch] ?? Deno.build.arch };
}

/** Prints to stdout (frp prints CLI errors with fmt.Println). */
export function println(s: string): void {
  console.log(s);
}

/**
 * Go frp has no SIGINT/SIGTERM handler: the signal ends it, and ours the same. Only the profiler
 * run (`deno task bench --profile` sets FRP_TS_EXIT_ON_SIGNAL=1) needs a normal exit on the
 * signal, which is when V8 writes the `.cpuprofile`.
 */
export function exitOnSignalWhenProfiling(): void {
  let on = false;
  try {
    on = Deno.env.get("FRP_TS_EXIT_ON_SIGNAL") === "1";
  } catch { /* --allow-env narrowed to the config's variables: not profiling */ }
  if (!on) return;
  const exit = () => Deno.exit(0);
  Deno.addSignalListener("SIGINT", exit);
  Deno.addSignalListener("SIGTERM", exit);
}
