/**
 * `frps` command line, compatible with Go frps: `frps -c frps.toml`, `frps verify -c …`,
 * `frps -v`, and config flags when no file is given (behaviour.md §13.1).
 *
 * @module
 */
import { runPrologue } from "../cli/command.ts";
import { createLogger, println } from "../cli/runtime.ts";
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

const FLAGS = {
  string: [
    "config",
    "allow-unsafe",
    "bind-addr",
    "bind-port",
    "kcp-bind-port",
    "quic-bind-port",
    "proxy-bind-addr",
    "vhost-http-port",
    "vhost-https-port",
    "vhost-http-timeout",
    "dashboard-addr",
    "dashboard-port",
    "dashboard-user",
    "dashboard-pwd",
    "log-file",
    "log-level",
    "log-max-days",
    "token",
    "subdomain-host",
    "allow-ports",
    "max-ports-per-client",
    "dashboard-tls-cert-file",
    "dashboard-tls-key-file",
  ],
  boolean: [
    "version",
    "help",
    "strict-config",
    "enable-prometheus",
    "disable-log-color",
    "tls-only",
    "dashboard-tls-mode",
  ],
  alias: { c: "config", v: "version", h: "help", p: "bind-port", t: "token" },
};

const USAGE = `frps is the server of frp (https://github.com/fatedier/frp)

Usage:
  frps [flags]
  frps [command]

Available Commands:
  permissions Print the minimal deno run flags for the config
  verify      Verify that the configures is valid
  reload      Hot-Reload frps configuration (through the dashboard API)

Flags:
  -c, --config string   config file of frps
  -v, --version         version of frps
      --strict-config   strict config parsing mode, unknown fields will cause errors (default true)
  (and frp's config flags: --bind-port, --token, --vhost-http-port, …)`;

/** Runs the frps CLI; resolves to the process exit code (or never, while serving). */
export async function main(argv: string[]): Promise<number> {
  const cli = await runPrologue(argv, {
    name: "frps",
    flags: FLAGS,
    usage: USAGE,
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
    });
    log.child("frps/root.ts").info("frps started successfully");
    const stop = () => {
      server.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
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
