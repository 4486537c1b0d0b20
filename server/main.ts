/**
 * `frps` command line, compatible with Go frps: `frps -c frps.toml`, `frps verify -c …`,
 * `frps -v`, and config flags when no file is given (behaviour.md §13.1).
 *
 * @module
 */
import { type Flag, flag } from "../cli/cobra.ts";
import { runPrologue } from "../cli/command.ts";
import { createLogger, exitOnSignalWhenProfiling, println } from "../cli/runtime.ts";
import {
  completeServerConfig,
  ConfigError,
  loadServerConfig,
  serverConfigFromFlags,
  unsupportedSettings,
  verifyServerConfig,
} from "../config/mod.ts";
import { FRP_VERSION } from "./context.ts";
import { printPermissions } from "../cli/permissions_for.ts";
import { startServer } from "./mod.ts";
import { runReloadCommand } from "./reload_cli.ts";

const f = flag;

/** Go frps's persistent root flags (cmd/frps/root.go, RegisterServerConfigFlags). */
const FLAGS: Flag[] = [
  f("allow-ports", "string", "allow ports"),
  f("allow-unsafe", "strings", "allowed unsafe features, one or more of: TokenSourceExec"),
  f("bind-addr", "string", "bind address", "0.0.0.0"),
  f("bind-port", "int", "bind port", 7000, "p"),
  f("config", "string", "config file of frps", "", "c"),
  f("dashboard-addr", "string", "dashboard address", "0.0.0.0"),
  f("dashboard-port", "int", "dashboard port"),
  f("dashboard-pwd", "string", "dashboard password", "admin"),
  f("dashboard-tls-cert-file", "string", "dashboard tls cert file"),
  f("dashboard-tls-key-file", "string", "dashboard tls key file"),
  f("dashboard-tls-mode", "valuebool", "if enable dashboard tls mode"),
  f("dashboard-user", "string", "dashboard user", "admin"),
  f("disable-log-color", "bool", "disable log color in console"),
  f("enable-prometheus", "bool", "enable prometheus dashboard"),
  f("kcp-bind-port", "int", "kcp bind udp port"),
  f("log-file", "string", "log file", "console"),
  f("log-level", "string", "log level", "info"),
  f("log-max-days", "int", "log max days", 3),
  f("max-ports-per-client", "int", "max ports per client"),
  f("proxy-bind-addr", "string", "proxy bind address", "0.0.0.0"),
  f("quic-bind-port", "int", "quic bind udp port"),
  f(
    "strict-config",
    "bool",
    "strict config parsing mode, unknown fields will cause errors",
    true,
  ),
  f("subdomain-host", "string", "subdomain host"),
  f("tls-only", "bool", "frps tls only"),
  f("token", "string", "auth token", "", "t"),
  f("version", "bool", "version of frps", false, "v"),
  f("vhost-http-port", "int", "vhost http port"),
  f("vhost-http-timeout", "int", "vhost http response header timeout", 60),
  f("vhost-https-port", "int", "vhost https port"),
];

/** Runs the frps CLI; resolves to the process exit code (or never, while serving). */
export async function main(argv: string[]): Promise<number> {
  const cli = await runPrologue(argv, {
    name: "frps",
    short: "frps is the server of frp (https://github.com/fatedier/frp)",
    flags: FLAGS,
    commands: [
      { name: "verify", short: "Verify that the configures is valid" },
      // Beyond Go frp: not listed, so `frps -h` prints Go's text.
      { name: "reload", short: "Hot-Reload frps configuration", hidden: true },
      {
        name: "permissions",
        short: "Print the minimal deno run flags for the config",
        hidden: true,
      },
    ],
    version: FRP_VERSION,
    defaultConfig: "",
    verify: verifyServerConfig,
    subcommands: {
      reload: (c) => runReloadCommand(c.configPath, c.loadOptions),
      permissions: (cli) =>
        printPermissions(
          "frps",
          cli.configPath,
          async (p) => (await loadServerConfig(p, cli.loadOptions)).config,
        ),
    },
  });
  if (typeof cli === "number") return cli;
  const { configPath, loadOptions } = cli;
  const { flags } = cli.parsed;
  let config;
  try {
    if (configPath) {
      const loaded = await loadServerConfig(configPath, loadOptions);
      for (const w of loaded.warnings) println(`WARNING: ${w}`);
      config = loaded.config;
    } else {
      config = completeServerConfig(serverConfigFromFlags(flags));
    }
  } catch (err) {
    println(err instanceof ConfigError ? err.message : String(err));
    return 1;
  }
  const log = createLogger(config.log);
  for (const w of unsupportedSettings("server", config)) log.child("frps/root.ts").warn(w);
  if (configPath) log.child("frps/root.ts").info(`frps uses config file: ${configPath}`);
  else log.child("frps/root.ts").info("frps uses command line arguments for config");
  try {
    const loadOptions = cli.loadOptions;
    const server = await startServer(config, {
      log,
      loadConfig: configPath
        ? async () => {
          const next = await loadServerConfig(configPath, loadOptions);
          for (const w of next.warnings) log.child("frps/root.ts").warn(w);
          return next.config;
        }
        : undefined,
      onStarted: () => log.child("frps/root.ts").info("frps started successfully"),
    });
    // Go frps has no SIGINT/SIGTERM handler: the signal ends it (exit status 130/143 in a
    // shell, "killed" to a supervisor); ours too (log writes are synchronous, nothing to flush).
    exitOnSignalWhenProfiling();
    // SIGHUP reloads the config file (beyond Go frp; works without the dashboard). Windows
    // has no SIGHUP: the dashboard's PUT /api/reload is the way there.
    if (Deno.build.os !== "windows") {
      Deno.addSignalListener("SIGHUP", () => {
        if (!server.ctx.reload) {
          log.child("frps/root.ts").warn("frps has no config file to reload");
          return;
        }
        server.ctx.reload().catch(() => {}); // already logged
      });
    }
    await new Promise(() => {});
  } catch (err) {
    println(err instanceof Error ? err.message : String(err));
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
